import * as Users from '../../src/models/user.model';
import { Browser } from '../helpers/browser';
import { createUser, signIn, UserFixture } from '../helpers/factories';
import { auditEventsOf, fieldError, isCleared, setCookie } from '../helpers/http';
import type { TestApp } from '../helpers/make-app';
import { codesOnPage, enableTotp, passwordStep, secretOnPage } from '../helpers/mfa';
import type { TestSmtp } from '../helpers/smtp';
import { linkIn, tokenOf } from '../helpers/smtp';
import { totpCode } from '../helpers/totp';

/**
 * The authenticator app and the code prompt as a browser uses them (forms, cookies, redirects),
 * on SQLite (test/integration/mfa-pages.test.ts) and MariaDB (test/mysql/mfa.test.ts).
 */
export function defineMfaPageFlows(setup: () => Promise<{ t: TestApp; smtp: TestSmtp }>): void {
  let t: TestApp;
  let smtp: TestSmtp;
  let user: UserFixture;
  beforeAll(async () => { ({ t, smtp } = await setup()); });
  afterAll(async () => {
    await t.app.services.outbox.drain();
    await t.close();
  });
  beforeEach(async () => { user = await createUser(t); });

  describe('the Security page', () => {
    test('is linked from the profile and the navigation, and shows every second factor off', async () => {
      const browser = await signIn(t, user);
      const profile = await browser.get('/me');
      expect(profile.text).toContain('href="/me/security"');
      const res = await browser.get('/me/security');
      expect(res.status).toBe(200);
      expect(res.text).toContain('<h1>Security</h1>');
      expect(res.text).toMatch(/Authenticator app <span class="badge badge-muted">off<\/span>/);
      expect(res.text).toContain('No passkeys yet.');
    });

    test('without a session it sends the visitor to log in', async () => {
      const res = await new Browser(t.app).get('/me/security');
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/auth/login?next=%2Fme%2Fsecurity');
    });

    test('sets the app up with a server-rendered QR code, then shows ten recovery codes once, with a text file to download', async () => {
      const browser = await signIn(t, user);
      await browser.get('/me/security');
      const start = await browser.submit('/me/security/totp', {});
      expect(start.status).toBe(303);
      expect(start.headers.location).toBe('/me/security/totp');
      const page = await browser.get('/me/security/totp');
      expect(page.status).toBe(200);
      expect(page.text).toMatch(/<img class="qr-code" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="[^"]+"/);
      const secret = secretOnPage(page.text);
      const svg = Buffer.from(/src="data:image\/svg\+xml;base64,([^"]+)"/.exec(page.text)![1]!, 'base64').toString('utf8');
      expect(svg).toMatch(/^<svg[^>]*viewBox/);

      const wrong = await browser.submit('/me/security/totp/confirm', { code: totpCode(secret, t.clock, 4) });
      expect(wrong.status).toBe(422);
      expect(fieldError(wrong.text, 'code')).toBe('That code is not correct, or it has already been used.');
      expect(secretOnPage(wrong.text)).toBe(secret);

      const done = await browser.submit('/me/security/totp/confirm', { code: totpCode(secret, t.clock) });
      expect(done.status).toBe(200);
      const codes = codesOnPage(done.text);
      expect(codes).toHaveLength(10);
      const file = /href="data:text\/plain;charset=utf-8;base64,([^"]+)" download="gatehouse-recovery-codes.txt"/.exec(done.text);
      expect(Buffer.from(file![1]!, 'base64').toString('utf8').split('\n')).toEqual(expect.arrayContaining(codes));
      // Shown once: the Security page now counts them and never lists them.
      const after = await browser.get('/me/security');
      expect(after.text).toMatch(/<strong>10<\/strong> of 10 left/);
      expect(codesOnPage(after.text)).toEqual([]);
      expect(await auditEventsOf(t, user.internalId)).toContain('totp_enabled');
    });

    test('turns the app off with a current code', async () => {
      const { secret } = await enableTotp(t, user);
      const browser = await loginWithCode(user, secret);
      await browser.get('/me/security');
      t.clock.advance(30);
      const res = await browser.submit('/me/security/totp/disable', { code: totpCode(secret, t.clock) });
      expect(res.status).toBe(303);
      expect((await browser.get('/me/security')).text).toContain('Your authenticator app is off.');
      expect(await t.db('mfa_totp').where({ user_id: user.internalId })).toHaveLength(0);
    });
  });

  /** Password, then the code prompt, then the profile: a browser with a session. */
  async function loginWithCode(who: UserFixture, secret: string): Promise<Browser> {
    const { browser, res } = await passwordStep(t, who);
    expect(res.headers.location).toBe('/auth/mfa');
    await browser.get('/auth/mfa');
    const done = await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock) });
    expect(done.status).toBe(303);
    return browser;
  }

  describe('logging in with the code prompt', () => {
    test('the right password leads to the prompt with a short-lived, browser-bound cookie and no session cookie', async () => {
      await enableTotp(t, user);
      const { browser, res } = await passwordStep(t, user);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/auth/mfa');
      const pending = setCookie(res, 'gatehouse.mfa');
      expect(pending?.attributes).toMatchObject({ httponly: true, samesite: 'Strict', path: '/', 'max-age': '300' });
      expect(setCookie(res, 'access_token')).toBeUndefined();
      expect(setCookie(res, 'refresh_token')).toBeUndefined();
      const prompt = await browser.get('/auth/mfa');
      expect(prompt.status).toBe(200);
      expect(prompt.text).toContain('Two-step verification');
      expect(prompt.text).toContain('name="code"');
      expect(prompt.text).toContain('Use a recovery code');
    });

    test('the second step cannot be skipped: /me without it sends to the login page', async () => {
      await enableTotp(t, user);
      const { browser } = await passwordStep(t, user);
      const res = await browser.get('/me');
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/auth/login?next=%2Fme');
      expect((await browser.get('/api/me')).status).toBe(401);
    });

    test('the right code signs in, clears the pending cookie and goes back to next', async () => {
      const { secret } = await enableTotp(t, user);
      const browser = new Browser(t.app);
      await browser.get('/auth/login?next=/articles');
      const first = await browser.submit('/auth/login', { login: user.username, password: user.password, next: '/articles' });
      expect(first.headers.location).toBe('/auth/mfa?next=%2Farticles');
      const prompt = await browser.get(first.headers.location!);
      expect(prompt.text).toContain('name="next" value="/articles"');
      const res = await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock), next: '/articles' });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/articles');
      expect(isCleared(setCookie(res, 'gatehouse.mfa'))).toBe(true);
      expect(setCookie(res, 'access_token')).toBeDefined();
      expect((await browser.get('/me')).status).toBe(200);
    });

    test('a wrong code re-renders the prompt with 401 and the message; no session', async () => {
      const { secret } = await enableTotp(t, user);
      const { browser } = await passwordStep(t, user);
      await browser.get('/auth/mfa');
      const res = await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock, 3) });
      expect(res.status).toBe(401);
      expect(res.text).toContain('That code is not correct, or it has already been used.');
      expect(res.text).toContain('name="code"');
      expect(setCookie(res, 'access_token')).toBeUndefined();
    });

    test('is bound to the browser: another browser with the right code gets no session', async () => {
      const { secret } = await enableTotp(t, user);
      await passwordStep(t, user);
      const other = new Browser(t.app);
      expect((await other.get('/auth/mfa')).headers.location).toBe('/auth/login');
      const res = await other.submit('/auth/mfa', { code: totpCode(secret, t.clock) }, '/auth/login');
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/auth/login');
      expect(setCookie(res, 'access_token')).toBeUndefined();
    });

    test('after five minutes the prompt sends back to the password', async () => {
      const { secret } = await enableTotp(t, user);
      const { browser } = await passwordStep(t, user);
      await browser.get('/auth/mfa');
      t.clock.advance(5 * 60 + 1);
      const res = await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock) });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/auth/login');
      expect((await browser.get('/auth/login')).text).toContain('Your sign-in has expired. Enter your password again.');
    });

    test('a disabled account cannot finish the prompt', async () => {
      const { secret } = await enableTotp(t, user);
      const { browser } = await passwordStep(t, user);
      await browser.get('/auth/mfa');
      await Users.updateUser(t.db, user.internalId, { is_active: false }, t.clock.now());
      const res = await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock) });
      expect(res.headers.location).toBe('/auth/login');
      expect(setCookie(res, 'access_token')).toBeUndefined();
    });

    test('a recovery code signs in and says how many are left', async () => {
      const { recoveryCodes } = await enableTotp(t, user);
      const { browser } = await passwordStep(t, user);
      await browser.get('/auth/mfa');
      const res = await browser.submit('/auth/mfa', { recovery_code: recoveryCodes[3]! });
      expect(res.status).toBe(303);
      expect((await browser.get('/me')).text).toContain('You signed in with a recovery code. 9 of them are left');
    });

    test('a password reset does not skip the second factor: it ends at the code prompt', async () => {
      const { secret } = await enableTotp(t, user);
      const browser = new Browser(t.app);
      await browser.submit('/auth/forgot', { email: user.email }, '/auth/forgot');
      const link = linkIn(await smtp.next(user.email, 'Reset your password'), '/auth/reset');
      await browser.get(link);
      const password = 'an entirely new passphrase';
      const res = await browser.submit('/auth/reset', { token: tokenOf(link), new_password: password, password_confirmation: password });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/auth/mfa');
      expect(setCookie(res, 'access_token')).toBeUndefined();
      expect((await browser.get('/me')).status).toBe(303);
      await browser.get('/auth/mfa');
      expect((await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock) })).headers.location).toBe('/me');
      expect((await browser.get('/me')).status).toBe(200);
    });
  });
}
