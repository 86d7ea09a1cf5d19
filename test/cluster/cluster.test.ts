import crypto from 'node:crypto';
import { systemClock } from '../../src/lib/clock';
import { totpCode } from '../helpers/totp';
import { call, Reply, Visitor } from './support/client';
import { Cluster, describeCluster, runCli, startCluster } from './support/cluster';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PASSWORD = 'correct horse battery staple';

/**
 * Three production-mode instances on one MariaDB and one Redis, behind deploy/nginx.conf with
 * TLS: what one instance does, the others see, and a dead instance loses nothing.
 */
describeCluster('several instances behind nginx', () => {
  let c: Cluster;
  beforeAll(async () => { c = await startCluster(3); }, 120_000);
  afterAll(async () => { await c?.close(); }, 60_000);

  const a = () => c.instances[0]!;
  const b = () => c.instances[1]!;
  const viaProxy = (method: string, path: string, options = {}) => call(c.proxy, method, path, options, c.ca);
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  async function register(base = a().base): Promise<{ username: string; email: string }> {
    const tag = crypto.randomBytes(4).toString('hex');
    const user = { username: `cluster_${tag}`, email: `cluster_${tag}@example.test` };
    const res = await call(base, 'POST', '/api/auth/register', { body: { ...user, password: PASSWORD } });
    expect(res.status).toBe(201);
    return user;
  }

  async function apiLogin(base: string, login: string): Promise<{ access_token: string; refresh_token: string }> {
    const res = await call(base, 'POST', '/api/auth/login', { body: { login, password: PASSWORD } });
    expect(res.status).toBe(200);
    return res.json();
  }

  async function formLogin(base: string, login: string): Promise<Visitor> {
    const visitor = new Visitor(c.ca);
    await visitor.get(base, '/auth/login');
    const res = await visitor.submit(base, '/auth/login', { login, password: PASSWORD });
    expect(res.status).toBe(303);
    return visitor;
  }

  it('serves through nginx over TLS, every instance answering directly too', async () => {
    expect((await viaProxy('GET', '/healthz')).status).toBe(200);
    for (const one of c.instances) expect((await call(one.base, 'GET', '/healthz')).status).toBe(200);
  });

  it('a sign-in on A works on B, by cookie and by Bearer, directly and through nginx', async () => {
    const user = await register();
    const visitor = await formLogin(a().base, user.username);
    expect(visitor.cookie('__Host-access_token')).toBeDefined();
    const page = await visitor.get(b().base, '/me');
    expect(page.status).toBe(200);
    expect(page.text).toContain(user.username);

    const { access_token: access } = await apiLogin(a().base, user.email);
    for (const base of [b().base, c.instances[2]!.base]) {
      expect((await call(base, 'GET', '/api/me', bearer(access))).json().username).toBe(user.username);
    }
    expect((await viaProxy('GET', '/api/me', bearer(access))).json().username).toBe(user.username);
  });

  it('a refresh on B, then the old token replayed on A after the grace: reuse is detected and the family revoked everywhere', async () => {
    const user = await register();
    const first = await apiLogin(a().base, user.username);
    const rotated = await call(b().base, 'POST', '/api/auth/refresh', { body: { refresh_token: first.refresh_token } });
    expect(rotated.status).toBe(200);
    const second = rotated.json() as { access_token: string; refresh_token: string };
    expect((await call(a().base, 'GET', '/api/me', bearer(second.access_token))).status).toBe(200);

    await sleep(2500); // REFRESH_REUSE_GRACE is 2 s on these instances
    const replay = await call(a().base, 'POST', '/api/auth/refresh', { body: { refresh_token: first.refresh_token } });
    expect(replay.status).toBe(401);
    // The thief's replay ended the victim's session too, on every instance at once.
    expect((await call(b().base, 'POST', '/api/auth/refresh', { body: { refresh_token: second.refresh_token } })).status).toBe(401);
    expect((await call(c.instances[2]!.base, 'GET', '/api/me', bearer(second.access_token))).json().error.code).toBe('session_revoked');
    const events = await c.db('audit_events').join('users', 'users.id', 'audit_events.user_id').where({ 'users.username': user.username, event: 'refresh_reuse_detected' });
    expect(events).toHaveLength(1);
  });

  it('"sign out all other sessions" on B: A refuses the other session\'s access token on the very next request', async () => {
    const user = await register();
    const { access_token: access } = await apiLogin(a().base, user.username);
    expect((await call(a().base, 'GET', '/api/me', bearer(access))).status).toBe(200); // A caches "live" now
    const visitor = await formLogin(b().base, user.username);
    await visitor.get(b().base, '/me/sessions');
    expect((await visitor.submit(b().base, '/me/sessions/revoke-others', {})).status).toBe(303);
    const refused = await call(a().base, 'GET', '/api/me', bearer(access));
    expect(refused.status).toBe(401);
    expect(refused.json().error.code).toBe('session_revoked');
    expect((await visitor.get(a().base, '/me')).status).toBe(200); // B's own session lives on, on A too
  });

  it('a second factor set up on A: a login begun on B finishes on C, and its code, used, is refused on A', async () => {
    const user = await register();
    const { access_token: access } = await apiLogin(a().base, user.username);
    const setup = await call(a().base, 'POST', '/api/me/mfa/totp', { ...bearer(access), body: { current_password: PASSWORD } });
    expect(setup.status).toBe(200);
    const { secret } = setup.json() as { secret: string };
    expect((await call(b().base, 'POST', '/api/me/mfa/totp/confirm', { ...bearer(access), body: { code: totpCode(secret, systemClock) } })).status).toBe(200);

    // The next time step's code (one step of drift is accepted): later than the confirming one.
    const code = totpCode(secret, systemClock, 1);
    const first = await call(b().base, 'POST', '/api/auth/login', { body: { login: user.username, password: PASSWORD } });
    expect(first.json()).toMatchObject({ mfa_required: true });
    const finished = await call(c.instances[2]!.base, 'POST', '/api/auth/mfa', { body: { mfa_token: first.json().mfa_token, code } });
    expect(finished.status).toBe(200);
    expect((await call(a().base, 'GET', '/api/me', bearer(finished.json().access_token))).json().mfa).toMatchObject({ totp: true });

    const again = await call(a().base, 'POST', '/api/auth/login', { body: { login: user.username, password: PASSWORD } });
    expect((await call(a().base, 'POST', '/api/auth/mfa', { body: { mfa_token: again.json().mfa_token, code } })).status).toBe(401);
  });

  it('failed logins spread over A and B count against one shared per-account limit, also through nginx', async () => {
    const user = await register();
    const attempt = (base: string) => call(base, 'POST', '/api/auth/login', { body: { login: user.username, password: 'wrong password here' } });
    for (let i = 0; i < 10; i += 1) expect((await attempt(i % 2 ? a().base : b().base)).status).toBe(401);
    const refused = await attempt(c.instances[2]!.base);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // nginx's client (also 127.0.0.1) is the same address, read from X-Forwarded-For under TRUST_PROXY.
    expect((await viaProxy('POST', '/api/auth/login', { body: { login: user.username, password: 'wrong password here' } })).status).toBe(429);
  });

  it('keys:rotate while clients hold tokens: old tokens keep working, new ones carry the new kid, every JWKS lists both', async () => {
    const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;
    const user = await register();
    const before = await apiLogin(a().base, user.username);
    const oldKid = kidOf(before.access_token);

    runCli('keys-rotate', [], c.env);
    const jwksKids = async (base: string): Promise<string[]> => (await call(base, 'GET', '/.well-known/jwks.json')).json().keys.map((key: { kid: string }) => key.kid) as string[];
    const deadline = Date.now() + 15_000;
    while (!(await Promise.all(c.instances.map((one) => jwksKids(one.base)))).every((kids) => kids.length === 2 && kids[1] === oldKid)) {
      if (Date.now() > deadline) throw new Error('not every instance picked the rotation up');
      await sleep(200);
    }
    const [newKid] = await jwksKids(a().base);
    expect(newKid).not.toBe(oldKid);
    expect((await call(c.proxy, 'GET', '/.well-known/jwks.json', {}, c.ca)).json().keys).toHaveLength(2);

    for (const one of c.instances) expect((await call(one.base, 'GET', '/api/me', bearer(before.access_token))).status).toBe(200);
    const rotated = await call(b().base, 'POST', '/api/auth/refresh', { body: { refresh_token: before.refresh_token } });
    expect(rotated.status).toBe(200);
    expect(kidOf(rotated.json().access_token)).toBe(newKid);
    // Refresh tokens are HMAC-signed under a secret derived from the signing key: a new key, a new one.
    expect(kidOf(rotated.json().refresh_token)).toMatch(/^r-/);
    expect(kidOf(rotated.json().refresh_token)).not.toBe(kidOf(before.refresh_token));
    const fresh = await apiLogin(c.instances[2]!.base, user.username);
    expect(kidOf(fresh.access_token)).toBe(newKid);
    for (const one of c.instances) expect((await call(one.base, 'GET', '/api/me', bearer(fresh.access_token))).status).toBe(200);
  }, 60_000);

  it('forgot-password answered by A, A killed with SIGKILL at once: another instance sends the mail, exactly once', async () => {
    const user = await register(b().base);
    const answered = await call(a().base, 'POST', '/api/auth/forgot', { body: { email: user.email } });
    expect(answered.status).toBe(202);
    await a().kill('SIGKILL');
    const mail = await c.smtp.next(user.email, 'Reset your password');
    expect(mail.text).toContain(`${c.env.APP_URL}/auth/reset?token=`);
    await sleep(3000); // time for a second copy, were there one
    expect(c.smtp.mailsTo(user.email).filter((m) => m.subject === 'Reset your password')).toHaveLength(1);
    const rows = await c.db('outbox').where({ template: 'password-reset' });
    expect(rows.map((row: { status: string }) => row.status)).toEqual(rows.map(() => 'done'));
    await a().start();
  }, 60_000);

  it('an instance killed during a load of authenticated GETs and refreshes: nginx moves on, nothing is half-written', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => register()));
    const sessions = await Promise.all(users.map((user) => apiLogin(a().base, user.username)));
    const results: Reply[] = [];
    const failures: unknown[] = [];
    let stop = false;
    const reader = async (token: string) => {
      while (!stop) {
        try {
          results.push(await viaProxy('GET', '/api/me', { ...bearer(token), timeoutMs: 10_000 }));
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const refresher = async (session: { refresh_token: string }) => {
      let token = session.refresh_token;
      while (!stop) {
        const res = await viaProxy('POST', '/api/auth/refresh', { body: { refresh_token: token } }).catch((error: Error) => error);
        if (!(res instanceof Error) && res.status === 200) token = res.json().refresh_token;
        await sleep(20);
      }
    };
    const load = [...sessions.map((s) => reader(s.access_token)), ...sessions.slice(0, 2).map(refresher)];
    await sleep(1500);
    const before = results.length;
    await b().kill('SIGKILL');
    await sleep(2500);
    stop = true;
    await Promise.all(load);

    const failed = results.filter((res) => res.status !== 200).length + failures.length;
    // At most the requests in flight on B when it died (one per reader); nginx retries GETs elsewhere.
    expect(failed).toBeLessThanOrEqual(sessions.length);
    expect(results.length - before).toBeGreaterThan(20); // and serving went on
    // Every rotated refresh row names a successor that exists: no rotation was half-written.
    const orphans = await c.db('refresh_sessions as used')
      .whereNotNull('used.used_at')
      .whereNotExists(c.db('refresh_sessions as next').whereRaw('next.jti_hash = used.replaced_by'))
      .count({ n: '*' }).first();
    expect(Number(orphans?.n)).toBe(0);
    await b().start();
  }, 60_000);

  it('Redis stopped under load: every instance keeps serving, and shares its counters again once Redis is back', async () => {
    const user = await register();
    const { access_token: access } = await apiLogin(a().base, user.username);
    await c.redis.stop();
    const during = await Promise.all(Array.from({ length: 30 }, () => viaProxy('GET', '/api/me', bearer(access))));
    expect(during.map((res) => res.status)).toEqual(Array(30).fill(200));
    expect((await call(b().base, 'POST', '/api/auth/login', { body: { login: user.username, password: PASSWORD } })).status).toBe(200);

    await c.redis.start();
    const back = () => c.instances.every((one) => /redis reachable again/.test(one.output()));
    const deadline = Date.now() + 20_000;
    while (!back()) {
      if (Date.now() > deadline) throw new Error('the instances did not reconnect to Redis');
      await sleep(100);
    }
    for (const one of c.instances) expect(one.output()).toMatch(/redis unreachable/);
    const other = await register();
    for (let i = 0; i < 10; i += 1) {
      await call(i % 2 ? a().base : b().base, 'POST', '/api/auth/login', { body: { login: other.username, password: 'wrong password here' } });
    }
    expect((await call(c.instances[2]!.base, 'POST', '/api/auth/login', { body: { login: other.username, password: 'wrong password here' } })).status).toBe(429);
  }, 60_000);
});
