import request from 'supertest';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, userInput, UserFixture } from '../helpers/factories';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';

/** A 503 must come back within a few seconds: the pool's acquireConnectionTimeout, not a hang. */
const FAST_ENOUGH_MS = 7000;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

/** After the database returns, the pool recovers by itself: the first requests may still find dead connections. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('did not recover in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describeMysql('MariaDB outages, through a TCP proxy the test can cut', () => {
  let scratch: ScratchDatabase;
  let proxy: TcpProxy;
  let direct: TestApp; // straight to MariaDB: the test's own view of the rows
  let t: TestApp; // the app under test, through the proxy
  let user: UserFixture;

  beforeAll(async () => {
    scratch = await createScratchMysqlDatabase();
    direct = await makeTestApp({ env: { DATABASE_URL: scratch.url } });
    const url = new URL(scratch.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 3306) });
    url.host = `127.0.0.1:${proxy.port}`;
    t = await makeTestApp({ env: { DATABASE_URL: url.toString() }, keys: direct.keys, clock: direct.clock });
    user = await createUser(direct);
  });
  afterAll(async () => {
    await proxy?.close();
    await t?.close();
    await direct?.close();
    await scratch?.drop();
  });
  afterEach(() => proxy.restore());

  async function counts() {
    const n = async (table: string) => Number((await direct.db(table).count({ n: '*' }).first())?.n);
    return { users: await n('users'), sessions: await n('refresh_sessions'), audits: await n('audit_events') };
  }

  it('while the database is unreachable, answers 503 fast on /healthz, the API (JSON) and pages (the error page), and recovers by itself', async () => {
    const browser = new Browser(t.app);
    await browser.get('/auth/login');
    expect((await request(t.app).get('/healthz')).status).toBe(200);

    await proxy.cut();

    const health = await timed(() => request(t.app).get('/healthz'));
    expect(health.value.status).toBe(503);
    expect(health.ms).toBeLessThan(FAST_ENOUGH_MS);

    const api = await timed(() => request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password }));
    expect(api.value.status).toBe(503);
    expect(api.ms).toBeLessThan(FAST_ENOUGH_MS);
    expect(api.value.body).toEqual({ error: { code: 'service_unavailable', message: expect.stringMatching(/temporarily unavailable/i) } });

    const page = await timed(() => browser.submit('/auth/login', { login: user.username, password: user.password }));
    expect(page.value.status).toBe(503);
    expect(page.ms).toBeLessThan(FAST_ENOUGH_MS);
    expect(page.value.type).toBe('text/html');
    expect(page.value.text).toMatch(/temporarily unavailable/i);
    expect(page.value.text).not.toMatch(/ECONNREFUSED|mysql|knex|at \w+ \(/i);

    await proxy.restore();
    await eventually(async () => (await request(t.app).get('/healthz')).status === 200);
    expect((await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password })).status).toBe(200);
    expect((await browser.submit('/auth/login', { login: user.username, password: user.password })).status).toBe(303);
  });

  it('when the connection drops mid-request, answers 503 and the process keeps serving', async () => {
    proxy.dropConnectionsOn(/from `users`/);
    const res = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
    expect(res.status).toBe(503);
    await eventually(async () => (await request(t.app).get('/healthz')).status === 200);
  });

  it('a registration cut between its user row and its audit row leaves neither (one transaction)', async () => {
    const before = await counts();
    const input = userInput();
    proxy.dropConnectionsOn(/insert into `audit_events`/);
    const res = await request(t.app).post('/api/auth/register').send(input);
    expect(res.status).toBe(503);
    expect(await direct.db('users').where({ username: input.username }).first()).toBeUndefined();
    expect(await counts()).toEqual(before);

    await eventually(async () => (await request(t.app).get('/healthz')).status === 200);
    expect((await request(t.app).post('/api/auth/register').send(input)).status).toBe(201);
  });

  it('a refresh cut after claiming the old token but before storing the new one changes nothing: the old token still works', async () => {
    const { refresh_token: refreshToken } = await apiLogin(t, user);
    const before = await counts();
    const sessionsBefore = await direct.db('refresh_sessions').where({ user_id: user.internalId }).orderBy('id');
    proxy.dropConnectionsOn(/insert into `refresh_sessions`/);
    const res = await request(t.app).post('/api/auth/refresh').send({ refresh_token: refreshToken });
    expect(res.status).toBe(503);
    expect(await counts()).toEqual(before);
    expect(await direct.db('refresh_sessions').where({ user_id: user.internalId }).orderBy('id')).toEqual(sessionsBefore);

    await eventually(async () => (await request(t.app).get('/healthz')).status === 200);
    const retry = await request(t.app).post('/api/auth/refresh').send({ refresh_token: refreshToken });
    expect(retry.status).toBe(200);
  });

  it('a login cut while writing its session leaves no session, no last_login_at and no "logged in" audit row', async () => {
    const before = await counts();
    const row = await direct.db('users').where({ id: user.internalId }).first();
    proxy.dropConnectionsOn(/insert into `refresh_sessions`/);
    const res = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
    expect(res.status).toBe(503);
    expect(await counts()).toEqual(before);
    expect((await direct.db('users').where({ id: user.internalId }).first()).last_login_at).toEqual(row.last_login_at);
  });
});
