import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { createApp, GatehouseApp } from '../../src/app';
import { Browser } from '../helpers/browser';
import { createUser } from '../helpers/factories';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

/** The same app as the test app, logging at trace level into an array. */
function withCapturedLogs(t: TestApp): { app: GatehouseApp; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done(); } });
  const logger = pino({ level: 'trace', base: undefined }, stream);
  const app = createApp({ config: t.config, db: t.db, keys: t.keys, clock: t.clock, logger });
  return { app, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

describe('request logs', () => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
  afterAll(() => t.close());

  it('carry a request id (the X-Request-Id header), method, path and status, and no query string', async () => {
    const { app, lines } = withCapturedLogs(t);
    const res = await request(app).get('/auth/login?next=%2Fsecret-path&token=abc123');
    const entry = lines().map((line) => JSON.parse(line)).find((log) => log.req?.id === res.headers['x-request-id']);
    expect(entry).toMatchObject({ req: { method: 'GET', path: '/auth/login' }, res: { statusCode: 200 } });
    expect(lines().join('\n')).not.toContain('abc123');
  });

  it('are one line per request, at info for a success, warn for a refusal and error for a failure', async () => {
    const { app, lines } = withCapturedLogs(t);
    const ok = await request(app).get('/healthz');
    const missing = await request(app).get('/no-such-page');
    const entries = () => lines().map((line) => JSON.parse(line));
    const about = (res: request.Response) => entries().filter((log) => log.req?.id === res.headers['x-request-id']);
    expect(about(ok)).toEqual([expect.objectContaining({ level: 30, msg: 'request completed', res: { statusCode: 200 } })]);
    expect(about(missing)).toEqual([expect.objectContaining({ level: 40, msg: 'request completed', res: { statusCode: 404 } })]);
    expect(typeof about(ok)[0].responseTime).toBe('number');

    await t.db.schema.renameTable('users', 'users_away');
    try {
      const failed = await request(app).post('/api/auth/login').send({ login: 'someone', password: 'Whatever-Passphrase-1' });
      expect(failed.status).toBeGreaterThanOrEqual(500);
      expect(about(failed)).toContainEqual(expect.objectContaining({ level: 50, msg: 'request completed', res: { statusCode: failed.status } }));
    } finally {
      await t.db.schema.renameTable('users_away', 'users');
    }
  });

  it('never hold a password, a token or a cookie, even around a server error', async () => {
    const { app, lines } = withCapturedLogs(t);
    const user = await createUser(t, { password: 'Unmistakable-Passphrase-4417' });
    const login = await request(app).post('/api/auth/login').send({ login: user.username, password: user.password });
    expect(login.status).toBe(200);
    const { access_token: access, refresh_token: refresh } = login.body;
    await request(app).get('/api/me').set('Authorization', `Bearer ${access}`);
    await request(app).get('/me').set('Cookie', `access_token=${access}; refresh_token=${refresh}`);
    await request(app).post('/api/auth/refresh').send({ refresh_token: refresh });
    await request(app).post('/api/auth/login').send({ login: user.username, password: 'Wrong-Passphrase-9921' });
    const browser = new Browser(app);
    await browser.submit('/auth/login', { login: user.username, password: user.password });
    await t.db.schema.dropTable('audit_events');
    const failed = await request(app).post('/api/auth/login').send({ login: user.username, password: user.password });
    expect(failed.status).toBe(500);

    const text = lines().join('\n');
    expect(text).toContain(failed.headers['x-request-id']);
    for (const secret of [user.password, 'Wrong-Passphrase-9921', access, refresh, access.split('.')[2], browser.cookie('gatehouse.csrf')]) {
      expect(text).not.toContain(secret);
    }
  });
});
