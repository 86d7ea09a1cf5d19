import request from 'supertest';
import { Browser } from '../helpers/browser';
import { createUser } from '../helpers/factories';
import { errorEnvelope, GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

/** What must never reach a client: stack frames, SQL, engine and file names. */
const INTERNALS = /\bat [\w.<>]+ \(|\.ts:\d+|node_modules|SQLITE|sqlite|no such table|audit_events|insert into|(?<!<)select |ER_[A-Z_]+|Knex|Error:/;

describe('unknown paths', () => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp(); });
  afterAll(() => t.close());

  it('get the 404 page', async () => {
    const res = await request(t.app).get('/no/such/page');
    expect(res.status).toBe(404);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('Page not found');
    expect(res.text).toMatch(/<meta name="csrf-token"/);
  });

  it('under /api get a JSON 404 with the envelope, for any method (PUT /api/me: the path exists, the method does not)', async () => {
    for (const res of [await request(t.app).get('/api/nope'), await request(t.app).post('/api/nope').send({}), await request(t.app).put('/api/me')]) {
      expect(res.status).toBe(404);
      expect(errorEnvelope(res).code).toBe('not_found');
    }
  });

  it('under /API in capitals are still the API', async () => {
    const res = await request(t.app).get('/API/nope');
    expect(res.status).toBe(404);
    errorEnvelope(res);
  });
});

describe('malformed and oversized bodies', () => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
  afterAll(() => t.close());

  it.each(['{"login": "a", ', '{login: "a"}', "{'a': 1}", '{"a": 1}}', 'null', '"just a string"'])('malformed JSON %j gets 400 with the envelope', async (body) => {
    const res = await request(t.app).post('/api/auth/login').set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(400);
    expect(errorEnvelope(res).code).toBe('malformed_json');
  });

  it('a JSON body over 100 kB gets 413 with the envelope', async () => {
    const res = await request(t.app).post('/api/auth/register').send({ ...{ username: 'a', password: 'b' }, padding: 'x'.repeat(101 * 1024) });
    expect(res.status).toBe(413);
    expect(errorEnvelope(res).code).toBe('payload_too_large');
  });

  it('a form body over 100 kB gets the 413 page', async () => {
    const res = await request(t.app).post('/auth/login').type('form').send(`login=a&password=${'x'.repeat(101 * 1024)}`);
    expect(res.status).toBe(413);
    expect(res.type).toBe('text/html');
  });

  it('a body just under 100 kB is read (and refused for what it says, not its size)', async () => {
    const res = await request(t.app).post('/api/auth/register').send({ username: 'a', padding: 'x'.repeat(90 * 1024) });
    expect(res.status).toBe(422);
  });

  it('an unsupported body encoding gets 415, not 500', async () => {
    const res = await request(t.app).post('/api/auth/login').set('Content-Type', 'application/json').set('Content-Encoding', 'compress').send('{}');
    expect(res.status).toBe(415);
    errorEnvelope(res);
  });
});

// Express itself would print a stack trace in development: the app's own handler must not.
describe.each(['test', 'development'])('a server error with NODE_ENV=%s', (nodeEnv) => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp({ env: { ...GENEROUS_LIMITS, NODE_ENV: nodeEnv } }); });
  afterAll(() => t.close());

  it('gets the 500 page with a request id and no stack trace or SQL, and the app keeps serving', async () => {
    const user = await createUser(t);
    await t.db.schema.dropTable('audit_events');
    const res = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
    expect(res.status).toBe(500);
    expect(errorEnvelope(res)).toEqual({ code: 'internal_error', message: expect.any(String) });
    expect(res.text).not.toMatch(INTERNALS);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const browser = new Browser(t.app);
    const formPost = await browser.submit('/auth/login', { login: user.username, password: user.password });
    expect(formPost.status).toBe(500);
    expect(formPost.type).toBe('text/html');
    expect(formPost.text).toContain('Something went wrong');
    const requestId = formPost.headers['x-request-id'];
    expect(formPost.text).toContain(requestId);
    expect(formPost.text).not.toMatch(INTERNALS);

    expect((await request(t.app).get('/healthz')).status).toBe(200);
  });
});
