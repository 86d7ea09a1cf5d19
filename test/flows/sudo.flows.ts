import request from 'supertest';
import type { Response } from 'supertest';
import * as Users from '../../src/models/user.model';
import { Browser } from '../helpers/browser';
import { confirmIdentity, createUser, signIn, UserFixture } from '../helpers/factories';
import { auditEventsOf, errorEnvelope, fieldError } from '../helpers/http';
import type { TestApp } from '../helpers/make-app';
import { bearer, enableTotp, mfaTokenOf, passwordStep } from '../helpers/mfa';
import type { TestSmtp } from '../helpers/smtp';
import { totpCode } from '../helpers/totp';

const TEN_MINUTES = 10 * 60;

/** The hidden fields of the confirm page: where it returns to and the sealed form it holds. */
function heldOn(page: Response): { return_to: string; held: string } {
  const returnTo = /name="return_to" value="([^"]*)"/.exec(page.text)?.[1];
  const held = /name="held" value="([^"]*)"/.exec(page.text)?.[1];
  if (returnTo === undefined || held === undefined) throw new Error(`not the confirm page (${page.status})`);
  return { return_to: returnTo, held };
}

/** Submits the confirm form and, on a 307, posts the same body again where it points, as a browser does. */
async function confirmOnPage(browser: Browser, page: Response, proof: Record<string, string>): Promise<{ confirm: Response; resumed?: Response }> {
  const fields = { ...heldOn(page), ...proof };
  const confirm = await browser.submit('/me/confirm', fields);
  if (confirm.status !== 307) return { confirm };
  return { confirm, resumed: await browser.submit(confirm.headers.location!, fields) };
}

/**
 * Sudo mode (a password or second-factor confirmation within ten minutes for sensitive actions),
 * the admin's view and reset of second factors, on SQLite (test/integration/sudo.test.ts) and
 * MariaDB (test/mysql/mfa.test.ts).
 */
export function defineSudoFlows(setup: () => Promise<{ t: TestApp; smtp: TestSmtp }>): void {
  let t: TestApp;
  let smtp: TestSmtp;
  let user: UserFixture;
  beforeAll(async () => { ({ t, smtp } = await setup()); });
  afterAll(async () => {
    await t.app.services.outbox.drain();
    await t.close();
  });
  beforeEach(async () => { user = await createUser(t); });

  const totpRows = (who: UserFixture) => t.db('mfa_totp').where({ user_id: who.internalId });

  describe('sensitive actions', () => {
    test('within ten minutes of logging in they go straight through', async () => {
      const browser = await signIn(t, user);
      await browser.get('/me/security');
      t.clock.advance(TEN_MINUTES - 5);
      const res = await browser.submit('/me/security/totp', {});
      expect(res.status).toBe(303);
      expect(await totpRows(user)).toHaveLength(1);
    });

    test('later, a form post shows the confirm page and changes nothing; the password confirms it and the form is posted again', async () => {
      const browser = await signIn(t, user);
      await browser.get('/me/security');
      t.clock.advance(TEN_MINUTES + 1);
      const page = await browser.submit('/me/security/totp', {});
      expect(page.status).toBe(200);
      expect(page.text).toContain('Confirm it is you');
      expect(heldOn(page).return_to).toBe('/me/security/totp');
      expect(await totpRows(user)).toHaveLength(0);

      const { confirm, resumed } = await confirmOnPage(browser, page, { current_password: user.password });
      expect(confirm.status).toBe(307);
      expect(confirm.headers.location).toBe('/me/security/totp');
      expect(resumed?.status).toBe(303);
      expect(resumed?.headers.location).toBe('/me/security/totp');
      expect(await totpRows(user)).toHaveLength(1);
      const confirmed = await t.db('audit_events').where({ user_id: user.internalId, event: 'reauthenticated' }).first();
      expect(JSON.parse(confirmed.details)).toEqual({ method: 'password' });
      // Confirmed for the next ten minutes.
      t.clock.advance(TEN_MINUTES - 5);
      expect((await browser.get('/me/security/totp')).status).toBe(200);
    });

    test('the form held across the confirm page is posted again exactly as typed (an admin\'s role change)', async () => {
      const admin = await createUser(t, { roles: { is_admin: true } });
      const browser = await signIn(t, admin);
      await browser.get(`/admin/users/${user.id}`);
      t.clock.advance(TEN_MINUTES + 1);
      const page = await browser.submit(`/admin/users/${user.id}`, { is_reader: '1', is_author: '1', is_active: '1' });
      expect(page.status).toBe(200);
      expect(page.text).toContain('Confirm it is you');
      // Sealed: what was typed is not readable in the page.
      expect(heldOn(page).held).not.toContain('is_author');
      expect((await Users.findUserById(t.db, user.internalId))?.is_author).toBe(false);
      const { resumed } = await confirmOnPage(browser, page, { current_password: admin.password });
      expect(resumed?.status).toBe(303);
      expect(resumed?.headers.location).toBe(`/admin/users/${user.id}`);
      expect((await Users.findUserById(t.db, user.internalId))?.is_author).toBe(true);
    });

    test('a wrong password on the confirm page is refused at the field, keeps the held form and changes nothing', async () => {
      const browser = await signIn(t, user);
      await browser.get('/me/security');
      t.clock.advance(TEN_MINUTES + 1);
      const page = await browser.submit('/me/security/totp', {});
      const { confirm } = await confirmOnPage(browser, page, { current_password: 'this is not it' });
      expect(confirm.status).toBe(422);
      expect(fieldError(confirm.text, 'current_password')).toBe('Your current password is not correct.');
      expect(heldOn(confirm)).toEqual(heldOn(page));
      expect(await totpRows(user)).toHaveLength(0);
      expect(await auditEventsOf(t, user.internalId)).toContain('reauthentication_failed');
    });

    test('a code from the authenticator app confirms too, and is used up by it', async () => {
      const { secret } = await enableTotp(t, user);
      const { browser } = await passwordStep(t, user);
      await browser.get('/auth/mfa');
      await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock) });
      await browser.get('/me/security');
      t.clock.advance(TEN_MINUTES + 1);
      const page = await browser.submit('/me/security/recovery-codes', {});
      expect(page.text).toContain('Or with your authenticator app');
      const code = totpCode(secret, t.clock);
      const { resumed } = await confirmOnPage(browser, page, { code });
      expect(resumed?.status).toBe(200);
      expect(resumed?.text).toContain('Your recovery codes');
      expect((await request(t.app).post('/api/auth/mfa').send({ mfa_token: await mfaTokenOf(t, user), code })).status).toBe(401);
    });

    test('a page (GET) goes to the confirm page and back', async () => {
      const browser = await signIn(t, user);
      t.clock.advance(TEN_MINUTES + 1);
      const res = await browser.get('/me/security/passkeys/new');
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/me/confirm?return_to=%2Fme%2Fsecurity%2Fpasskeys%2Fnew');
      const page = await browser.get(res.headers.location!);
      const { confirm } = await confirmOnPage(browser, page, { current_password: user.password });
      expect(confirm.status).toBe(303);
      expect(confirm.headers.location).toBe('/me/security/passkeys/new');
      expect((await browser.get('/me/security/passkeys/new')).status).toBe(200);
    });

    test('a held form that was altered or belongs to another sign-in is not posted again', async () => {
      const browser = await signIn(t, user);
      const other = await signIn(t, user);
      t.clock.advance(TEN_MINUTES + 1);
      await browser.get('/me/security');
      const page = await browser.submit('/me/security/totp', {});
      const held = heldOn(page).held;
      await other.get('/me/security');
      const foreign = await other.submit('/me/confirm', { return_to: '/me/security/totp', held, current_password: user.password });
      expect(foreign.status).toBe(303);
      const altered = await browser.submit('/me/confirm', { return_to: '/me/security/totp', held: `${held.slice(0, -2)}AA`, current_password: user.password });
      expect(altered.status).toBe(303);
      expect(await totpRows(user)).toHaveLength(0);
    });

    test('is per sign-in: confirming in one browser does not open another', async () => {
      const one = await signIn(t, user);
      const two = await signIn(t, user);
      t.clock.advance(TEN_MINUTES + 1);
      await confirmIdentity(one, user.password);
      await two.get('/me/security');
      expect((await one.submit('/me/security/totp', {})).status).toBe(303);
      expect((await two.submit('/me/security/totp', {})).status).toBe(200);
    });

    test('a script gets 403 reauthentication_required', async () => {
      const browser = await signIn(t, user);
      await browser.get('/me/security');
      t.clock.advance(TEN_MINUTES + 1);
      const res = await browser.agent.post('/me/security/passkeys/options').set('X-CSRF-Token', browser.csrf ?? '').send({});
      expect(res.status).toBe(403);
      expect(res.text).toContain('Confirm it is you first');
    });
  });

  describe('admins and second factors', () => {
    test('an admin sees a user\'s second factors and resets them: audited with the admin, mailed, and the user signs in with the password alone', async () => {
      const admin = await createUser(t, { roles: { is_admin: true } });
      await enableTotp(t, user);
      const browser = await signIn(t, admin);
      const page = await browser.get(`/admin/users/${user.id}`);
      expect(page.text).toMatch(/<dt>Authenticator app<\/dt><dd>on<\/dd>/);
      expect(page.text).toMatch(/<dt>Recovery codes left<\/dt><dd>10<\/dd>/);
      const res = await browser.submit(`/admin/users/${user.id}/mfa/reset`, {});
      expect(res.status).toBe(303);
      expect(await totpRows(user)).toHaveLength(0);
      expect(await t.db('mfa_recovery_codes').where({ user_id: user.internalId })).toHaveLength(0);
      const event = await t.db('audit_events').where({ user_id: user.internalId, event: 'mfa_reset' }).first();
      expect(event.actor_id).toBe(admin.internalId);
      expect(await noticeSaying(user, 'An administrator removed the second factors')).toBe(true);
      const login = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
      expect(login.body.access_token).toEqual(expect.any(String));
    });

    test('an admin cannot reset their own second factors there (403), and a reset needs sudo mode too', async () => {
      const admin = await createUser(t, { roles: { is_admin: true } });
      await enableTotp(t, admin);
      const secret = (await enableTotp(t, user)).secret;
      expect(secret).toBeTruthy();
      const { browser } = await passwordStep(t, admin);
      await browser.get('/auth/mfa');
      const mine = await t.db('mfa_totp').where({ user_id: admin.internalId }).first();
      expect(mine).toBeDefined();
      await browser.submit('/auth/mfa', { recovery_code: (await freshCodes(admin)).at(0)! });
      await browser.get(`/admin/users/${admin.id}`);
      expect((await browser.submit(`/admin/users/${admin.id}/mfa/reset`, {})).status).toBe(403);
      t.clock.advance(TEN_MINUTES + 1);
      const page = await browser.submit(`/admin/users/${user.id}/mfa/reset`, {});
      expect(page.text).toContain('Confirm it is you');
      expect(await totpRows(user)).toHaveLength(1);
    });
  });

  /** Whether a security notice with this sentence reached the user (earlier notices are passed over). */
  async function noticeSaying(who: UserFixture, sentence: string): Promise<boolean> {
    for (;;) {
      const mail = await smtp.next(who.email, 'A security setting of your account changed');
      if (mail.text.includes(sentence)) return true;
    }
  }

  /** New recovery codes for a user with a second factor, straight from the service. */
  async function freshCodes(who: UserFixture): Promise<string[]> {
    const row = await Users.findUserById(t.db, who.internalId);
    return t.app.services.mfa.regenerateRecoveryCodes(row!, { ip: null, userAgent: null });
  }

  describe('the JSON API', () => {
    test('confirms sensitive actions with current_password in the body, whenever the token was issued', async () => {
      const { accessToken } = await enableTotp(t, user);
      t.clock.advance(TEN_MINUTES + 60);
      const refreshed = await request(t.app).post('/api/me/mfa/recovery-codes').set(bearer(accessToken)).send({ current_password: user.password });
      // The 15-minute access token is still good; no sudo mode, the password is the confirmation.
      expect(refreshed.status).toBe(200);
      const missing = await request(t.app).post('/api/me/mfa/recovery-codes').set(bearer(accessToken)).send({});
      expect(missing.status).toBe(422);
      expect(errorEnvelope(missing).fields).toEqual({ current_password: 'Enter current password.' });
    });
  });
}
