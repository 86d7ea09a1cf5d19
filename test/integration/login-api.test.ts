import request from 'supertest';
import { createUser } from '../helpers/factories';
import { auditEventsOf, errorEnvelope, GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

const login = (body: unknown) => request(t.app).post('/api/auth/login').send(body as object);

describe('POST /api/auth/login', () => {
  it('answers {access_token, refresh_token, token_type: "Bearer", expires_in, user}', async () => {
    const user = await createUser(t);
    const res = await login({ login: user.username, password: user.password });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type', 'user']);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { id: user.id, username: user.username } });
    expect(res.body.user.last_login_at).toBe(t.clock.now().toISOString());
    expect(JSON.stringify(res.body.user)).not.toMatch(/password|token_version|"id":\d/);
    expect(res.headers['set-cookie']).toBeUndefined();

    const me = await request(t.app).get('/api/me').set('Authorization', `Bearer ${res.body.access_token}`);
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(user.id);
    expect(await auditEventsOf(t, user.internalId)).toContain('logged_in');
  });

  it.each([
    ['login with the username', (u: { username: string; email: string }) => ({ login: u.username })],
    ['login with the email', (u: { username: string; email: string }) => ({ login: u.email.toUpperCase() })],
    ['username', (u: { username: string; email: string }) => ({ username: u.username.toUpperCase() })],
    ['email', (u: { username: string; email: string }) => ({ email: u.email })],
  ])('accepts %s', async (_name, identify) => {
    const user = await createUser(t);
    const res = await login({ ...identify(user), password: user.password });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(user.id);
  });

  it('answers byte-identical 401 bodies for an unknown user, a wrong password and a disabled account', async () => {
    const user = await createUser(t);
    const disabled = await createUser(t, { roles: { is_active: false } });
    const unknown = await login({ login: 'nobody_at_all', password: 'whatever-password-1' });
    const wrong = await login({ login: user.username, password: 'whatever-password-1' });
    const inactive = await login({ login: disabled.username, password: disabled.password });
    for (const res of [unknown, wrong, inactive]) expect(res.status).toBe(401);
    expect(errorEnvelope(unknown)).toEqual({ code: 'invalid_credentials', message: 'Incorrect username or password' });
    expect(wrong.text).toBe(unknown.text);
    expect(inactive.text).toBe(unknown.text);
    expect(await auditEventsOf(t, user.internalId)).toContain('login_failed');
    expect(await auditEventsOf(t, disabled.internalId)).toEqual(expect.not.arrayContaining(['logged_in']));
  });

  it('answers 422 when no login field is sent', async () => {
    const res = await login({ password: 'whatever-password-1' });
    expect(res.status).toBe(422);
    expect(errorEnvelope(res).code).toBe('validation_failed');
  });
});

describe('the client address in the audit log', () => {
  async function auditedIp(trustProxy: string | undefined): Promise<string | null> {
    const app = await makeTestApp({ env: { ...GENEROUS_LIMITS, ...(trustProxy ? { TRUST_PROXY: trustProxy } : {}) } });
    try {
      const user = await createUser(app);
      await request(app.app).post('/api/auth/login').set('X-Forwarded-For', '203.0.113.7').send({ login: user.username, password: user.password });
      const row = await app.db('audit_events').where({ user_id: user.internalId, event: 'logged_in' }).first();
      return row.ip;
    } finally {
      await app.close();
    }
  }

  it('ignores X-Forwarded-For when TRUST_PROXY is off', async () => {
    expect(await auditedIp(undefined)).not.toBe('203.0.113.7');
  });

  it('takes it from X-Forwarded-For behind one trusted proxy (TRUST_PROXY=1)', async () => {
    expect(await auditedIp('1')).toBe('203.0.113.7');
  });
});
