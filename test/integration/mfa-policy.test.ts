import request from 'supertest';
import { translator } from '../../src/lib/i18n';
import { apiLogin, createUser, signIn } from '../helpers/factories';
import { errorEnvelope } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { bearer, enableTotp, mfaTokenOf, passwordStep } from '../helpers/mfa';
import { totpCode } from '../helpers/totp';

describe('REQUIRE_MFA_FOR_ADMINS=true', () => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp({ env: { REQUIRE_MFA_FOR_ADMINS: 'true' } }); });
  afterAll(async () => { await t.close(); });

  test('an admin without a second factor is sent to the Security page before any admin page, and the admin API answers 403', async () => {
    const admin = await createUser(t, { roles: { is_admin: true } });
    const browser = await signIn(t, admin);
    for (const path of ['/admin', '/admin/users', '/admin/audit', '/ADMIN/users']) {
      const res = await browser.get(path);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/me/security');
    }
    expect((await browser.get('/me/security')).text).toContain('Admins must use a second factor');
    const { access_token: accessToken } = await apiLogin(t, admin);
    const api = await request(t.app).get('/api/admin/users').set(bearer(accessToken));
    expect(api.status).toBe(403);
    expect(errorEnvelope(api).code).toBe('mfa_setup_required');
  });

  test('says so in the reader\'s language: the flash on a Russian page, the API message in Accept-Language\'s', async () => {
    const ru = translator('ru');
    const admin = await createUser(t, { roles: { is_admin: true } });
    const browser = await signIn(t, admin);
    await browser.get('/');
    expect((await browser.submit('/language', { lang: 'ru', next: '/' })).status).toBe(303);
    expect((await browser.get('/admin')).headers.location).toBe('/me/security');
    const security = await browser.get('/me/security');
    expect(security.text).toContain(ru('admin.message.mfaSetupRequired'));
    expect(security.text).not.toContain('Admins must use a second factor');
    const { access_token: accessToken } = await apiLogin(t, admin);
    const api = await request(t.app).get('/api/admin/users').set(bearer(accessToken)).set('Accept-Language', 'es');
    expect(errorEnvelope(api)).toEqual({ code: 'mfa_setup_required', message: translator('es')('admin.message.mfaSetupRequired') });
  });

  test('with an authenticator app on, the same admin gets the admin pages', async () => {
    const admin = await createUser(t, { roles: { is_admin: true } });
    const { secret, accessToken } = await enableTotp(t, admin);
    expect((await request(t.app).get('/api/admin/users').set(bearer(accessToken))).status).toBe(200);
    const { browser } = await passwordStep(t, admin);
    await browser.get('/auth/mfa');
    await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock) });
    expect((await browser.get('/admin')).status).toBe(200);
  });

  test('readers are refused as before (403), not sent to set up a factor', async () => {
    const reader = await createUser(t);
    expect((await (await signIn(t, reader)).get('/admin')).status).toBe(403);
  });
});

describe('REQUIRE_MFA_FOR_ADMINS off (the default)', () => {
  test('an admin without a second factor gets the admin pages', async () => {
    const t = await makeTestApp();
    try {
      const admin = await createUser(t, { roles: { is_admin: true } });
      expect((await (await signIn(t, admin)).get('/admin')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('the second step shares the login throttles', () => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp({ env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: '3', RATE_LIMIT_AUTH_PER_IP: '1000' } }); });
  afterAll(async () => { await t.close(); });

  test('wrong codes count with wrong passwords on the account\'s counter: past it even the right code gets 429', async () => {
    const user = await createUser(t);
    const { secret } = await enableTotp(t, user);
    for (let i = 0; i < 2; i += 1) {
      expect((await request(t.app).post('/api/auth/login').send({ login: user.username, password: 'wrong password here' })).status).toBe(401);
    }
    const token = await mfaTokenOf(t, user);
    expect((await request(t.app).post('/api/auth/mfa').send({ mfa_token: token, code: totpCode(secret, t.clock, 4) })).status).toBe(401);
    const blocked = await request(t.app).post('/api/auth/mfa').send({ mfa_token: token, code: totpCode(secret, t.clock) });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // The password step is throttled on the same counter.
    expect((await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password })).status).toBe(429);
  });

  test('the code prompt of the pages counts on it too', async () => {
    const user = await createUser(t);
    const { secret } = await enableTotp(t, user);
    const { browser } = await passwordStep(t, user);
    await browser.get('/auth/mfa');
    for (let i = 0; i < 3; i += 1) expect((await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock, 5) })).status).toBe(401);
    expect((await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock) })).status).toBe(429);
  });

  test('a signed-in user\'s wrong codes are throttled like wrong current passwords: ten, then 429', async () => {
    const user = await createUser(t);
    const { secret, accessToken } = await enableTotp(t, user);
    for (let i = 0; i < 10; i += 1) {
      const res = await request(t.app).post('/api/me/mfa/recovery-codes').set(bearer(accessToken)).send({ current_password: 'not the password' });
      expect(res.status).toBe(422);
    }
    const res = await request(t.app).delete('/api/me/mfa/totp').set(bearer(accessToken)).send({ current_password: user.password, code: totpCode(secret, t.clock) });
    expect(res.status).toBe(429);
    expect(await t.db('mfa_totp').where({ user_id: user.internalId })).toHaveLength(1);
  });
});
