import request from 'supertest';
import { apiLogin, createUser, userInput } from '../helpers/factories';
import { errorEnvelope, GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

let t: TestApp;
let auth: string;
beforeAll(async () => {
  t = await makeTestApp({ env: GENEROUS_LIMITS });
  auth = `Bearer ${(await apiLogin(t, await createUser(t))).access_token}`;
});
afterAll(() => t.close());

/** Everything JSON can hold that is not one string. */
const NOT_A_STRING: [string, unknown][] = [
  ['an array', ['a', 'b']], ['an array of one string', ['alice']], ['an empty array', []],
  ['an object', { $ne: null }], ['an object like a query', { username: 'alice' }],
  ['a number', 12345678], ['zero', 0], ['null', null], ['true', true], ['false', false],
];

/** The SQL statements Knex sends while `run` is in flight. */
async function queriesDuring(run: () => Promise<request.Response>): Promise<{ res: request.Response; sql: string[] }> {
  await t.app.services.outbox.drain(); // mail from earlier steps goes out before statements are counted
  const sql: string[] = [];
  const listener = (query: { sql: string }) => sql.push(query.sql);
  t.db.on('query', listener);
  try {
    return { res: await run(), sql };
  } finally {
    t.db.removeListener('query', listener);
  }
}

function validRegistration() {
  const input = userInput();
  return { ...input, password_confirmation: input.password, first_name: 'Ada', second_name: 'Lovelace' };
}

const ENDPOINTS: [string, string, () => Record<string, unknown>, string[]][] = [
  ['POST', '/api/auth/register', validRegistration, ['username', 'email', 'password', 'password_confirmation', 'first_name', 'second_name']],
  ['POST', '/api/auth/login', () => ({ login: 'someone', password: 'some password' }), ['login', 'password']],
  ['POST', '/api/auth/login', () => ({ username: 'someone', password: 'some password' }), ['username']],
  ['POST', '/api/auth/login', () => ({ email: 'someone@example.test', password: 'some password' }), ['email']],
  ['POST', '/api/auth/refresh', () => ({ refresh_token: 'x.y.z' }), ['refresh_token']],
  ['POST', '/api/auth/logout', () => ({ refresh_token: 'x.y.z' }), ['refresh_token']],
  ['PATCH', '/api/me', () => ({ first_name: 'A', second_name: 'B', email: 'new@example.test', current_password: 'pw' }), ['first_name', 'second_name', 'email', 'current_password']],
];

describe.each(ENDPOINTS)('%s %s', (method, path, valid, fields) => {
  const send = (body: unknown) => {
    const req = method === 'PATCH' ? request(t.app).patch(path).set('Authorization', auth) : request(t.app).post(path);
    return req.send(body as object);
  };

  describe.each(fields)('with %s', (field) => {
    it.each(NOT_A_STRING)('set to %s answers 422 with a message at the field and writes nothing', async (_name, value) => {
      const { res, sql } = await queriesDuring(() => send({ ...valid(), [field]: value }));
      expect(res.status).toBe(422);
      const error = errorEnvelope(res);
      expect(error.code).toBe('validation_failed');
      expect(error.fields?.[field]).toEqual(expect.any(String));
      expect(sql.filter((statement) => !/^select\b/i.test(statement.trim()))).toEqual([]);
    });
  });

  it('answers 422, not 500, for a top-level JSON array', async () => {
    const res = await send([valid()]);
    expect(res.status).toBe(422);
  });
});

it.each(['/api/auth/register', '/api/auth/login', '/api/auth/refresh', '/api/auth/logout'])(
  'POST %s answers 422 for no body at all and 415 for a text/plain body, never 500',
  async (path) => {
    const bare = await request(t.app).post(path);
    expect(bare.status).toBe(422);
    expect(errorEnvelope(bare).code).toBe('validation_failed');
    const plain = await request(t.app).post(path).set('Content-Type', 'text/plain').send('login=a');
    expect(plain.status).toBe(415);
    errorEnvelope(plain);
  },
);

describe('hostile strings', () => {
  it.each([
    ['a 10,000-character username', { username: 'a'.repeat(10000) }],
    ['a NUL byte in the username', { username: 'ali\u0000ce' }],
    ['SQL in the username', { username: "alice' OR '1'='1" }],
    ['a right-to-left override in the first name', { first_name: 'evil\u202Egnp.exe' }],
    // validator's isLength counts "❤️" as one character: 52 code points would overflow VARCHAR(50) on MySQL.
    ['a first name of 26 "❤️" (52 code points)', { first_name: '\u2764\uFE0F'.repeat(26) }],
    ['an email over 254 characters', { email: `${'a'.repeat(64)}@${'b'.repeat(200)}.test` }],
    ['a non-ASCII email local part', { email: 'ålice@example.test' }],
    // 191 code points as typed, 311 once lower-cased ("İ" becomes "i" + U+0307): too long for VARCHAR(254).
    ['an email that outgrows 254 characters when lower-cased', { email: `${'a'.repeat(64)}@${'\u0130'.repeat(60)}.${'\u0130'.repeat(60)}.test` }],
    // validator's isEmail throws URIError on these: they must be refused before it runs.
    ['a lone surrogate as the email', { email: '\uD800' }],
    ['a lone surrogate in the email', { email: 'a@b\uDFFF.test' }],
    ['a lone surrogate in the first name', { first_name: 'Ada\uD800' }],
    ['a lone surrogate in the password', { password: 'long enough \uD800 passphrase', password_confirmation: 'long enough \uD800 passphrase' }],
  ])('registration refuses %s with 422', async (_name, change) => {
    const res = await request(t.app).post('/api/auth/register').send({ ...validRegistration(), ...change });
    expect(res.status).toBe(422);
    errorEnvelope(res);
  });

  it('a lone surrogate as the new email in PATCH /api/me gets 422, not 500', async () => {
    const res = await request(t.app).patch('/api/me').set('Authorization', auth).send({ email: '\uDC00@example.test', current_password: 'x' });
    expect(res.status).toBe(422);
    expect(errorEnvelope(res).fields?.email).toBe('Email address contains characters that are not valid text.');
  });

  it('a password of 1,000 characters at login is checked, not crashed on (401)', async () => {
    const res = await request(t.app).post('/api/auth/login').send({ login: 'someone', password: 'p'.repeat(1000) });
    expect(res.status).toBe(401);
  });

  it('a password over the limit at registration gets 422 with the reason', async () => {
    const res = await request(t.app).post('/api/auth/register').send({ ...validRegistration(), password: 'p'.repeat(2000), password_confirmation: undefined });
    expect(res.status).toBe(422);
    expect(errorEnvelope(res).fields?.password).toMatch(/at most 256/);
  });

  it('__proto__ and constructor keys change nothing', async () => {
    const input = validRegistration();
    const body = `{"__proto__": {"is_admin": true}, "constructor": {"prototype": {"is_admin": true}}, ${JSON.stringify(input).slice(1)}`;
    const res = await request(t.app).post('/api/auth/register').set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(201);
    expect(res.body.is_admin).toBe(false);
    expect(({} as Record<string, unknown>).is_admin).toBeUndefined();
  });

  it('a Bearer token over 4 kB gets 401, not 500', async () => {
    const res = await request(t.app).get('/api/me').set('Authorization', `Bearer ${'a'.repeat(5000)}.b.c`);
    expect(res.status).toBe(401);
  });
});
