import request from 'supertest';
import { formattersFor, translator } from '../../src/lib/i18n';
import * as Users from '../../src/models/user.model';
import { ALERTS_PER_HOUR } from '../../src/services/devices.service';
import { ACTIVITY_PER_PAGE } from '../../src/services/activity.service';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture } from '../helpers/factories';
import { errorEnvelope, setCookie } from '../helpers/http';
import type { TestApp } from '../helpers/make-app';
import { bearer, enableTotp, passwordStep } from '../helpers/mfa';
import { englishLeftovers } from '../helpers/translations';
import type { TestSmtp } from '../helpers/smtp';
import { totpCode } from '../helpers/totp';

const ALERT = 'New sign-in to your account';
const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/140.0';
const HOUR = 3600;

/**
 * Issue 18, part one: the user's own security activity, the new-sign-in alert and "Remember me",
 * on SQLite (test/integration/account-activity.test.ts) and MariaDB (test/mysql/account.test.ts).
 */
export function defineAccountActivityFlows(setup: () => Promise<{ t: TestApp; smtp: TestSmtp }>): void {
  let t: TestApp;
  let smtp: TestSmtp;
  let user: UserFixture;
  beforeAll(async () => { ({ t, smtp } = await setup()); });
  afterAll(async () => {
    await t.app.services.outbox.drain();
    await t.close();
  });
  beforeEach(async () => { user = await createUser(t); });

  const alertsTo = async (who: UserFixture) => {
    await t.app.services.outbox.drain();
    return smtp.mailsTo(who.email).filter((mail) => mail.subject === ALERT);
  };
  const activity = (token: string, query = '') => request(t.app).get(`/api/me/activity${query}`).set(bearer(token));
  const countSignIns = async (who: UserFixture) => (await t.db('audit_events').where({ user_id: who.internalId, event: 'logged_in' })).length;
  async function logOutAndIn(browser: Browser, who: UserFixture) {
    await browser.get('/me');
    expect((await browser.submit('/auth/logout', {})).headers.location).toBe('/auth/login');
    await browser.get('/auth/login');
    expect((await browser.submit('/auth/login', { login: who.username, password: who.password })).headers.location).toBe('/me');
  }
  const loginForm = (browser: Browser, who: UserFixture, extra: Record<string, string> = {}) =>
    browser.submit('/auth/login', { login: who.username, password: who.password, ...extra }, '/auth/login');

  describe('security activity', () => {
    test('GET /api/me/activity lists only the caller\'s own events, newest first, never another user\'s', async () => {
      const other = await createUser(t);
      await request(t.app).post('/api/auth/login').send({ login: other.username, password: 'wrong password here' });
      await request(t.app).post('/api/auth/login').send({ login: user.username, password: 'also wrong, but mine' });
      const { access_token: token } = await apiLogin(t, user);
      const res = await activity(token);
      expect(res.status).toBe(200);
      expect(res.body.events.map((entry: { event: string }) => entry.event)).toEqual(['logged_in', 'login_failed', 'verification_sent', 'registered']);
      const ids = res.body.events.map((entry: { id: number }) => entry.id);
      expect([...ids].sort((a, b) => b - a)).toEqual(ids);
      const othersIds = (await t.db('audit_events').where({ user_id: other.internalId }).select('id')).map((row) => Number(row.id));
      expect(othersIds.length).toBeGreaterThan(0);
      expect(ids.filter((id: number) => othersIds.includes(id))).toEqual([]);
      // Naming another account in the query changes nothing: there is no such parameter.
      const named = await activity(token, `?user=${other.id}&user_id=${other.internalId}`);
      expect(named.body.events.map((entry: { id: number }) => entry.id)).toEqual(ids);
      expect(JSON.stringify(res.body)).not.toContain(other.username);
    });

    test('entries carry the approximate device and IP; a role change says an admin acted, not which one', async () => {
      const admin = await createUser(t, { roles: { is_admin: true } });
      const adminBrowser = await signIn(t, admin);
      await adminBrowser.get(`/admin/users/${user.id}`);
      expect((await adminBrowser.submit(`/admin/users/${user.id}`, { is_reader: '1', is_author: '1', is_active: '1' })).status).toBe(303);
      const { access_token: token } = await apiLogin(t, user);
      const res = await activity(token, '?kind=roles');
      expect(res.body.events).toEqual([expect.objectContaining({ event: 'roles_changed', kind: 'roles', by_admin: true, details: { from: ['reader'], to: ['reader', 'author'] } })]);
      expect(JSON.stringify(res.body)).not.toContain(admin.username);
      expect(JSON.stringify(res.body)).not.toContain(admin.id);
      const signIns = await activity(token, '?kind=sign_in');
      expect(signIns.body.events[0]).toMatchObject({ event: 'logged_in', by_admin: false, ip: expect.any(String), session: { live: true } });
    });

    test('filters by kind, pages with cursors like the admin list, and refuses an unknown kind with 422', async () => {
      for (let i = 0; i < ACTIVITY_PER_PAGE + 2; i += 1) {
        await request(t.app).post('/api/auth/login').send({ login: user.username, password: `wrong password ${i}` });
      }
      const { access_token: token } = await apiLogin(t, user);
      const first = await activity(token, '?kind=failed_sign_in');
      expect(first.body).toMatchObject({ page: 1, per_page: ACTIVITY_PER_PAGE, total: ACTIVITY_PER_PAGE + 2, total_pages: 2, prev: null });
      expect(first.body.events.every((entry: { event: string }) => entry.event === 'login_failed')).toBe(true);
      const second = await activity(token, `?kind=failed_sign_in&page=2&after=${first.body.next.after}`);
      expect(second.body.events).toHaveLength(2);
      expect(second.body.events[0].id).toBeLessThan(first.body.events.at(-1).id);
      const bad = await activity(token, '?kind=everything');
      expect(bad.status).toBe(422);
      expect(errorEnvelope(bad).fields).toHaveProperty('kind');
    });

    test('the page links an entry about a live session to it on /me/sessions, and says when it has ended', async () => {
      const browser = await signIn(t, user);
      const family = (await t.db('refresh_sessions').where({ user_id: user.internalId }).first()).family_id;
      const page = await browser.get('/me/activity');
      expect(page.status).toBe(200);
      expect(page.text).toContain(`href="/me/sessions#session-${family}"`);
      expect((await browser.get('/me/sessions')).text).toContain(`id="session-${family}"`);
      const other = await signIn(t, user);
      const otherFamily = (await t.db('refresh_sessions').where({ user_id: user.internalId }).whereNot({ family_id: family }).first()).family_id;
      await browser.submit(`/me/sessions/${otherFamily}/revoke`, {}, '/me/sessions');
      const after = await browser.get('/me/activity?kind=sign_in');
      expect(after.text).not.toContain(`#session-${otherFamily}"`);
      expect(after.text).toContain('ended');
      expect((await other.get('/me')).status).toBe(303);
    });

    test('a signed-out visitor is sent to log in; the API answers 401', async () => {
      expect((await request(t.app).get('/me/activity')).headers.location).toBe('/auth/login?next=%2Fme%2Factivity');
      expect((await request(t.app).get('/api/me/activity')).status).toBe(401);
    });
  });

  describe('the new sign-in alert', () => {
    test('to an account with no saved language, it is written in the language of the browser that signed in', async () => {
      await signIn(t, user);
      const laptop = new Browser(t.app, FIREFOX_ON_WINDOWS);
      await laptop.get('/');
      expect((await laptop.submit('/language', { lang: 'es', next: '/' })).status).toBe(303);
      expect((await loginForm(laptop, user)).status).toBe(303);
      await t.app.services.outbox.drain();
      const es = translator('es');
      const mails = smtp.mailsTo(user.email).filter((mail) => mail.subject === es('account.mail.newSignIn.subject'));
      expect(mails).toHaveLength(1);
      expect(mails[0]!.text).toContain(es('account.mail.newSignIn.device', { device: 'Firefox en Windows' }));
      expect(englishLeftovers(mails[0]!.html, 'es')).toEqual([]);
    });

    test('to an account that reads Russian, it names the device and the time in Russian; the API names devices in Accept-Language\'s language', async () => {
      await Users.updateUser(t.db, user.internalId, { language: 'ru' }, t.clock.now());
      await signIn(t, user);
      const laptop = new Browser(t.app, FIREFOX_ON_WINDOWS);
      expect((await loginForm(laptop, user)).status).toBe(303);
      await t.app.services.outbox.drain();
      const ru = translator('ru');
      const mails = smtp.mailsTo(user.email).filter((mail) => mail.subject === ru('account.mail.newSignIn.subject'));
      expect(mails).toHaveLength(1);
      expect(mails[0]!.text).toContain(ru('account.mail.newSignIn.device', { device: 'Firefox на Windows' }));
      expect(mails[0]!.text).toContain(formattersFor('ru').date(t.clock.now()));
      expect(mails[0]!.text).not.toContain('Firefox on Windows');
      expect(englishLeftovers(mails[0]!.html, 'ru')).toEqual([]);

      const { access_token: token } = await apiLogin(t, user);
      const devicesIn = async (language: string) => (await activity(token).set('Accept-Language', language)).body.events.map((entry: { device: unknown }) => entry.device);
      expect(await devicesIn('ru')).toContain('Firefox на Windows');
      expect(await devicesIn('ru')).not.toContain('Firefox on Windows');
      expect(await devicesIn('en')).toContain('Firefox on Windows');
      expect(await devicesIn('zh-CN')).toContain('Windows 上的 Firefox');

      const broken = await activity(token, '?after=abc').set('Accept-Language', 'ru');
      expect(broken.status).toBe(422);
      expect(errorEnvelope(broken).fields).toEqual({ after: ru('validation.page.cursor') });
      expect(errorEnvelope(broken).fields!.after).toMatch(/[а-яё]/i);
    });

    test('the first browser is recorded silently; a new one gets one mail naming time, device and IP; the same one again, none', async () => {
      const first = await signIn(t, user);
      expect(decodeURIComponent(first.cookie('device')!)).toMatch(/^s:[A-Za-z0-9_-]{43}\./);
      expect(await alertsTo(user)).toHaveLength(0);
      const laptop = new Browser(t.app, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/140.0');
      expect((await loginForm(laptop, user)).status).toBe(303);
      const [mail, ...more] = await alertsTo(user);
      expect(more).toEqual([]);
      expect(mail!.text).toContain('Firefox on Windows');
      expect(mail!.text).toMatch(/IP address: \S+/);
      expect(mail!.text).toContain(`${t.config.appUrl}/me/sessions`);
      expect(mail!.text).toContain(`${t.config.appUrl}/auth/forgot`);
      expect(mail!.text).toContain(formattersFor('en').date(t.clock.now()));
      // Logging out leaves the device cookie: the next sign-in from this browser is a known one.
      const signInsBefore = await countSignIns(user);
      await logOutAndIn(laptop, user);
      await logOutAndIn(first, user);
      expect(await countSignIns(user)).toBe(signInsBefore + 2);
      expect(await alertsTo(user)).toHaveLength(1);
      const events = await t.db('audit_events').where({ user_id: user.internalId, event: 'sign_in_alert_sent' });
      expect(events).toHaveLength(1);
      expect(await t.db('known_devices').where({ user_id: user.internalId })).toHaveLength(2);
    });

    test('the mail and the activity page speak the account\'s language', async () => {
      await t.db('users').where({ id: user.internalId }).update({ language: 'ru' });
      await signIn(t, user);
      const browser = await signIn(t, user);
      await alertsTo(user);
      const [mail] = smtp.mailsTo(user.email).filter((m) => m.subject === 'Новый вход в ваш аккаунт');
      expect(mail!.text).toContain('Устройство: ');
      const page = await browser.get('/me/activity');
      expect(page.text).toContain('<html lang="ru">');
      expect(page.text).toContain('Журнал безопасности');
      expect(page.text).toContain('Вход в аккаунт');
    });

    test('a forged or unsigned device cookie counts as a new browser', async () => {
      await signIn(t, user);
      const stranger = new Browser(t.app);
      await stranger.get('/auth/login');
      stranger.agent.jar.setCookie('device=pretend-i-am-known; Path=/', '127.0.0.1', '/');
      expect((await loginForm(stranger, user)).status).toBe(303);
      expect(await alertsTo(user)).toHaveLength(1);
    });

    test(`at most ${ALERTS_PER_HOUR} alerts an hour per account; API logins and the second step follow the same rules`, async () => {
      await signIn(t, user);
      for (let i = 0; i < ALERTS_PER_HOUR + 2; i += 1) await signIn(t, user);
      await apiLogin(t, user);
      expect(await alertsTo(user)).toHaveLength(ALERTS_PER_HOUR);
      t.clock.advance(HOUR + 1);
      await signIn(t, user);
      expect(await alertsTo(user)).toHaveLength(ALERTS_PER_HOUR + 1);
    });

    test('a login finished at the code prompt alerts like any other', async () => {
      const { secret } = await enableTotp(t, user);
      const home = new Browser(t.app);
      await passwordStep(t, user, home);
      expect((await home.submit('/auth/mfa', { code: totpCode(secret, t.clock) }, '/auth/mfa')).status).toBe(303);
      t.clock.advance(30);
      const { browser: away } = await passwordStep(t, user);
      expect((await away.submit('/auth/mfa', { code: totpCode(secret, t.clock) }, '/auth/mfa')).status).toBe(303);
      expect(await alertsTo(user)).toHaveLength(1);
    });
  });

  describe('remember me', () => {
    const IDLE = 12 * HOUR;

    test('unticked: the refresh cookie is a browser-session cookie (no Max-Age, no Expires), the access cookie keeps its short lifetime; the session is marked not remembered', async () => {
      const browser = new Browser(t.app);
      const res = await loginForm(browser, user);
      const refresh = setCookie(res, 'refresh_token')!;
      expect(refresh.attributes).toMatchObject({ httponly: true, samesite: 'Lax', path: '/' });
      expect(refresh.attributes['max-age']).toBeUndefined();
      expect(refresh.attributes.expires).toBeUndefined();
      expect(setCookie(res, 'access_token')!.attributes['max-age']).toBe(String(t.config.jwt.accessTtlSeconds));
      const row = await t.db('refresh_sessions').where({ user_id: user.internalId }).first();
      expect(Boolean(row.remembered)).toBe(false);
      expect(new Date(row.expires_at).getTime() - t.clock.now().getTime()).toBe(IDLE * 1000);
      expect((await browser.get('/me/sessions')).text).toContain('No — ends with the browser');
    });

    test('ticked: persistent cookies for ACCESS_TOKEN_TTL and REFRESH_TOKEN_TTL, as before', async () => {
      const browser = new Browser(t.app);
      const res = await loginForm(browser, user, { remember: '1' });
      expect(setCookie(res, 'access_token')!.attributes['max-age']).toBe(String(t.config.jwt.accessTtlSeconds));
      expect(setCookie(res, 'refresh_token')!.attributes['max-age']).toBe(String(t.config.jwt.refreshTtlSeconds));
      expect((await browser.get('/me/sessions')).text).toContain('<td>Yes</td>');
    });

    test('unticked, the sign-in survives while used and ends SESSION_IDLE_TTL after its last use (the test clock)', async () => {
      const browser = new Browser(t.app);
      await loginForm(browser, user);
      t.clock.advance(IDLE - 60);
      expect((await browser.get('/me')).status).toBe(200);
      t.clock.advance(IDLE - 60);
      expect((await browser.get('/me')).status).toBe(200);
      t.clock.advance(IDLE + 1);
      expect((await browser.get('/me')).status).toBe(303);
    });

    test('ticked, the same idle time leaves it signed in', async () => {
      const browser = new Browser(t.app);
      await loginForm(browser, user, { remember: '1' });
      t.clock.advance(IDLE + 60);
      expect((await browser.get('/me')).status).toBe(200);
    });

    test('the box is carried across the code prompt; the API is unchanged (persistent, remembered)', async () => {
      const { secret } = await enableTotp(t, user);
      const browser = new Browser(t.app);
      await browser.submit('/auth/login', { login: user.username, password: user.password }, '/auth/login');
      const done = await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock) }, '/auth/mfa');
      expect(done.status).toBe(303);
      expect(setCookie(done, 'refresh_token')!.attributes['max-age']).toBeUndefined();
      const api = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
      expect(api.body.mfa_required).toBe(true);
      const rows = await t.db('refresh_sessions').where({ user_id: user.internalId }).orderBy('id');
      expect(rows.map((row) => Boolean(row.remembered))).toEqual([true, false]);
    });

    test('a password change keeps the sign-in\'s choice for the fresh session of this device', async () => {
      const browser = new Browser(t.app);
      await loginForm(browser, user);
      await browser.get('/me');
      const res = await browser.submit('/me/password', { current_password: user.password, new_password: 'a brand new passphrase 42', password_confirmation: 'a brand new passphrase 42' });
      expect(res.status).toBe(303);
      expect(setCookie(res, 'refresh_token')!.attributes['max-age']).toBeUndefined();
    });
  });
}
