import request from 'supertest';
import { apiLogin, createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { changed, parseSeries, scrape } from '../helpers/metrics';

const BUSINESS = /^gatehouse_(logins|refreshes|registrations|rate_limit_refusals)_/;
const businessChanges = (before: Map<string, number>, after: Map<string, number>) =>
  Object.fromEntries(Object.entries(changed(before, after, 'gatehouse_')).filter(([name]) => BUSINESS.test(name)));

describe('GET /metrics: what is counted', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: '2' } });
  });
  afterAll(() => t.close());

  it('serves the Prometheus text format with process metrics and every outcome at 0 from the start', async () => {
    const res = await request(t.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['set-cookie']).toBeUndefined();
    const series = parseSeries(res.text);
    expect(series.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(series.has('nodejs_heap_size_used_bytes')).toBe(true);
    for (const outcome of ['success', 'wrong_credentials', 'throttled', 'unverified']) {
      expect(series.get(`gatehouse_logins_total{outcome="${outcome}"}`)).toBeDefined();
    }
    expect(series.get('gatehouse_db_pool_connections_idle')).toBe(1);
    expect(series.get('gatehouse_db_pool_connections_in_use')).toBe(0);
  });

  it('a successful login increments exactly one series: logins{outcome="success"}', async () => {
    const user = await createUser(t);
    const before = await scrape(t);
    await apiLogin(t, user);
    expect(businessChanges(before, await scrape(t))).toEqual({ 'gatehouse_logins_total{outcome="success"}': 1 });
  });

  it('a wrong password counts as wrong_credentials, and past the limit as throttled with the limiter that refused', async () => {
    const user = await createUser(t);
    const before = await scrape(t);
    for (let i = 0; i < 2; i += 1) {
      expect((await request(t.app).post('/api/auth/login').send({ login: user.username, password: 'not the password' })).status).toBe(401);
    }
    expect((await request(t.app).post('/api/auth/login').send({ login: user.username, password: 'not the password' })).status).toBe(429);
    expect(businessChanges(before, await scrape(t))).toEqual({
      'gatehouse_logins_total{outcome="wrong_credentials"}': 2,
      'gatehouse_logins_total{outcome="throttled"}': 1,
      'gatehouse_rate_limit_refusals_total{limiter="login-account-ip"}': 1,
    });
  });

  it('counts a registration once, and a refused one (409) not at all', async () => {
    const body = { username: 'metrics_newcomer', email: 'metrics_newcomer@example.test', password: DEFAULT_PASSWORD };
    const before = await scrape(t);
    expect((await request(t.app).post('/api/auth/register').send(body)).status).toBe(201);
    expect((await request(t.app).post('/api/auth/register').send(body)).status).toBe(409);
    expect(businessChanges(before, await scrape(t))).toEqual({ 'gatehouse_registrations_total': 1 });
  });

  it('counts refreshes by outcome: rotated, grace reuse, reuse detected (the family revoked) and invalid', async () => {
    const user = await createUser(t);
    const { refresh_token: first } = await apiLogin(t, user);
    const before = await scrape(t);
    const refresh = (token: string) => request(t.app).post('/api/auth/refresh').send({ refresh_token: token });
    expect((await refresh(first)).status).toBe(200); // rotated
    expect((await refresh(first)).status).toBe(200); // within REFRESH_REUSE_GRACE
    t.clock.advance(t.config.jwt.reuseGraceSeconds + 1);
    expect((await refresh(first)).status).toBe(401); // a replay: the family is revoked
    expect((await refresh('not-a-token')).status).toBe(401);
    expect(businessChanges(before, await scrape(t))).toEqual({
      'gatehouse_refreshes_total{outcome="rotated"}': 1,
      'gatehouse_refreshes_total{outcome="grace_reuse"}': 1,
      'gatehouse_refreshes_total{outcome="reuse_detected"}': 1,
      'gatehouse_refreshes_total{outcome="invalid"}': 1,
    });
    expect(await t.db('audit_events').where({ event: 'refresh_reuse_detected' }).count({ n: '*' }).first()).toEqual({ n: 1 });
  });

  it('labels HTTP requests with the route pattern, never the path: ids, gated routes, files and unknown paths', async () => {
    const before = await scrape(t);
    await request(t.app).get('/articles/12345');
    await request(t.app).get('/ARTICLES/678/');
    await request(t.app).get('/css/app.css');
    await request(t.app).get('/no-such-page/alice');
    const moved = changed(before, await scrape(t), 'gatehouse_http_requests_total');
    expect(moved).toEqual({
      'gatehouse_http_requests_total{method="GET",route="/articles/:id",status="303"}': 2,
      'gatehouse_http_requests_total{method="GET",route="static",status="200"}': 1,
      'gatehouse_http_requests_total{method="GET",route="unmatched",status="404"}': 1,
      // the scrape itself, counted when it was done
      'gatehouse_http_requests_total{method="GET",route="/metrics",status="200"}': 1,
    });
    const after = await scrape(t);
    expect(after.get('gatehouse_http_request_duration_seconds_count{method="GET",route="/articles/:id",status="303"}')).toBe(2);
    expect(after.get('gatehouse_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/articles/:id",status="303"}')).toBe(2);
  });

  it('keeps one registry per app: another app\'s login moves nothing here', async () => {
    const other = await makeTestApp();
    try {
      const user = await createUser(other);
      const before = await scrape(t);
      await apiLogin(other, user);
      expect(businessChanges(before, await scrape(t))).toEqual({});
      expect((await scrape(other)).get('gatehouse_logins_total{outcome="success"}')).toBe(1);
    } finally {
      await other.close();
    }
  });
});

describe('GET /metrics: logins refused for an unconfirmed address', () => {
  it('count as unverified, after the right password only', async () => {
    const t = await makeTestApp({ env: { REQUIRE_VERIFIED_EMAIL: 'true' } });
    try {
      const user = await createUser(t);
      const before = await scrape(t);
      expect((await request(t.app).post('/api/auth/login').send({ login: user.email, password: user.password })).status).toBe(403);
      expect(businessChanges(before, await scrape(t))).toEqual({ 'gatehouse_logins_total{outcome="unverified"}': 1 });
    } finally {
      await t.close();
    }
  });
});
