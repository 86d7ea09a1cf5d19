import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { createApp, GatehouseApp } from '../../src/app';
import { makeTestApp, TestApp } from '../helpers/make-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The test app's config and database, logging into an array. */
function withLogs(t: TestApp): { app: GatehouseApp; logged: () => Array<{ req?: { id?: string }; requestId?: string }> } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
  const app = createApp({ config: t.config, db: t.db, keys: t.keys, clock: t.clock, logger: pino({ level: 'info', base: undefined }, stream) });
  return { app, logged: () => lines.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

describe('X-Request-Id without TRUST_PROXY', () => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp(); });
  afterAll(() => t.close());

  it('ignores the client\'s id: a fresh UUID is sent back and logged', async () => {
    const { app, logged } = withLogs(t);
    const res = await request(app).get('/healthz').set('X-Request-Id', 'client-chosen-id');
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(logged().map((line) => line.req?.id)).toEqual([res.headers['x-request-id']]);
  });
});

describe('X-Request-Id with TRUST_PROXY', () => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp({ env: { TRUST_PROXY: 'loopback' } }); });
  afterAll(() => t.close());

  it.each([
    ['a UUID', '0b7c2a8e-4f1d-4e0a-9b6f-2d9c1e3a5b7f'],
    ['nginx\'s $request_id', '9f86d081884c7d659a2feaa0c55ad015'],
    ['a trace id with dots, colons and slashes', 'Root=1-67891233-abcdef012345678912345678/span:42.1'],
  ])('keeps the proxy\'s id (%s): echoed, in the log line and on an error page', async (_name, id) => {
    const { app, logged } = withLogs(t);
    const res = await request(app).get('/no-such-page').set('X-Request-Id', id);
    expect(res.status).toBe(404);
    expect(res.headers['x-request-id']).toBe(id);
    expect(logged().map((line) => line.req?.id)).toEqual([id]);
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['with a space', 'abc def'],
    ['with markup', '<script>alert(1)</script>'],
    ['with a quote and a semicolon', 'id";drop'],
    ['sent twice (joined with a comma)', ['first-id', 'second-id']],
    ['empty', ''],
  ])('replaces an id that is %s with a fresh UUID', async (_name, value) => {
    const { app, logged } = withLogs(t);
    const req = request(app).get('/healthz');
    // An array is sent as two header lines; Node joins them with ", ".
    const res = await req.set('X-Request-Id', value as string);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(logged().map((line) => line.req?.id)).toEqual([res.headers['x-request-id']]);
  });

  it('keeps the proxy\'s id on a 500, and logs the error under it', async () => {
    const { app, logged } = withLogs(t);
    await t.db.schema.renameTable('users', 'users_gone');
    try {
      const res = await request(app).post('/api/auth/login').set('X-Request-Id', 'proxy-id-500').send({ login: 'someone', password: 'whatever it is' });
      expect(res.status).toBe(500);
      expect(res.headers['x-request-id']).toBe('proxy-id-500');
      expect(res.text).not.toContain('users');
      expect(logged().filter((line) => line.requestId === 'proxy-id-500')).toHaveLength(1);
    } finally {
      await t.db.schema.renameTable('users_gone', 'users');
    }
  });
});
