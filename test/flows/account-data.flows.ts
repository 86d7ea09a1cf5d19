import request from 'supertest';
import { engineOf } from '../../src/db/knex';
import { PRUNE_BATCH } from '../../src/db/prune';
import { english } from '../../src/lib/i18n';
import { EXPORTS_PER_HOUR } from '../../src/services/account.service';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture, userInput } from '../helpers/factories';
import { countRows, errorEnvelope, fieldError, isCleared, setCookie } from '../helpers/http';
import type { TestApp } from '../helpers/make-app';
import { bearer, enableTotp } from '../helpers/mfa';
import type { TestSmtp } from '../helpers/smtp';
import { totpCode } from '../helpers/totp';

const GOODBYE = 'Your account has been deleted';
const FORCED = 'Choose a new password';
const MINUTE = 60;

/**
 * Issue 18, part two: export, deletion, the admin's forced password reset and the audit log's
 * retention, on SQLite (test/integration/account-data.test.ts) and MariaDB (test/mysql/account.test.ts).
 */
export function defineAccountDataFlows(setup: () => Promise<{ t: TestApp; smtp: TestSmtp }>): void {
  let t: TestApp;
  let smtp: TestSmtp;
  let user: UserFixture;
  beforeAll(async () => {
    ({ t, smtp } = await setup());
    // The deletion tests must not meet "the last admin": the site has one that stays.
    await createUser(t, { roles: { is_admin: true } });
  });
  afterAll(async () => {
    await t.app.services.outbox.drain();
    await t.close();
  });
  beforeEach(async () => { user = await createUser(t, { roles: { is_author: true } }); });

  const mailsTo = async (who: UserFixture, subject: string) => {
    await t.app.services.outbox.drain();
    return smtp.mailsTo(who.email).filter((mail) => mail.subject === subject);
  };
  async function writeArticle(browser: Browser, title: string) {
    await browser.get('/articles/new');
    const res = await browser.submit('/articles', { title, body: `The body of ${title}.` });
    expect(res.status).toBe(303);
  }
  const eventsOf = (who: UserFixture) => t.db('audit_events').where({ user_id: who.internalId }).orderBy('id');

  describe('export', () => {
    test('the page asks for the password; a wrong one is refused at the field and exports nothing', async () => {
      const browser = await signIn(t, user);
      expect((await browser.get('/me/data')).text).toContain('Download my data');
      const res = await browser.submit('/me/export', { current_password: 'not my password' });
      expect(res.status).toBe(422);
      expect(fieldError(res.text, 'current_password')).toBe('Your current password is not correct.');
      expect((await eventsOf(user)).map((row) => row.event)).not.toContain('data_exported');
    });

    test('the right password downloads one JSON attachment: profile, sessions, activity, articles, and no secret of any kind', async () => {
      const { secret, recoveryCodes } = await enableTotp(t, user);
      const browser = new Browser(t.app);
      await browser.submit('/auth/login', { login: user.username, password: user.password }, '/auth/login');
      await browser.submit('/auth/mfa', { code: totpCode(secret, t.clock) }, '/auth/mfa');
      await writeArticle(browser, 'My first words');
      await browser.get('/me/data');
      const res = await browser.submit('/me/export', { current_password: user.password });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="?gatehouse-${user.username}-\\d{4}-\\d{2}-\\d{2}\\.json"?$`));
      expect(res.headers['cache-control']).toContain('no-store');
      const data = JSON.parse(res.text);
      expect(data.profile).toMatchObject({ id: user.id, username: user.username, email: user.email, mfa: { totp: true, recovery_codes_left: 10 } });
      expect(data.sessions.length).toBeGreaterThanOrEqual(1);
      expect(data.sessions[0]).toEqual(expect.objectContaining({ device: expect.any(String), remembered: expect.any(Boolean) }));
      expect(data.activity.map((entry: { event: string }) => entry.event)).toEqual(expect.arrayContaining(['registered', 'logged_in', 'totp_enabled']));
      // Devices are named as text in the response's language, never as a translation key.
      expect(data.sessions.map((session: { device: unknown }) => session.device)).toContain('Chrome on Linux');
      expect(data.activity.find((entry: { event: string }) => entry.event === 'logged_in').device).toBe('Chrome on Linux');
      expect(data.articles).toEqual([expect.objectContaining({ title: 'My first words', body: 'The body of My first words.' })]);

      const text = res.text;
      const row = await t.db('users').where({ id: user.internalId }).first();
      const secrets = [
        row.password_hash, user.password, secret, ...recoveryCodes,
        ...(await t.db('refresh_sessions').where({ user_id: user.internalId })).map((session) => session.jti_hash),
        ...(await t.db('mfa_totp').where({ user_id: user.internalId })).map((r) => r.secret_sealed),
        ...(await t.db('mfa_recovery_codes').where({ user_id: user.internalId })).map((r) => r.code_digest),
        ...(await t.db('known_devices').where({ user_id: user.internalId })).map((r) => r.device_digest),
        browser.cookie('access_token')!, browser.cookie('refresh_token')!,
      ];
      for (const value of secrets) expect(text).not.toContain(value);
      for (const key of ['password_hash', 'token_version', 'secret', 'jti', 'public_key', 'credential_id', 'code_digest', 'internal']) {
        expect(text).not.toContain(`"${key}"`);
      }
      expect((await eventsOf(user)).map((row) => row.event)).toContain('data_exported');
    });

    test('GET /api/me/export answers a sign-in from the last ten minutes, 403 reauthentication_required later', async () => {
      const { access_token: token } = await apiLogin(t, user);
      const res = await request(t.app).get('/api/me/export').set(bearer(token));
      expect(res.status).toBe(200);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="?gatehouse-/);
      expect(res.body.profile.username).toBe(user.username);
      expect(res.text).not.toContain('password_hash');
      // Still within the access token's lifetime, but the password was typed more than ten minutes ago.
      t.clock.advance(10 * MINUTE + 1);
      const refused = await request(t.app).get('/api/me/export').set(bearer(token));
      expect(refused.status).toBe(403);
      expect(errorEnvelope(refused).code).toBe('reauthentication_required');
    });

    test(`is throttled: ${EXPORTS_PER_HOUR} an hour per account, then 429 with Retry-After`, async () => {
      const { access_token: token } = await apiLogin(t, user);
      for (let i = 0; i < EXPORTS_PER_HOUR; i += 1) expect((await request(t.app).get('/api/me/export').set(bearer(token))).status).toBe(200);
      const refused = await request(t.app).get('/api/me/export').set(bearer(token));
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('deletion', () => {
    test('the page warns and asks for the password; a wrong one is refused at the field and changes nothing', async () => {
      const browser = await signIn(t, user);
      const page = await browser.get('/me/delete');
      expect(page.text).toContain('This cannot be undone.');
      const res = await browser.submit('/me/delete', { current_password: 'wrong one' });
      expect(res.status).toBe(422);
      expect(fieldError(res.text, 'current_password')).toBe('Your current password is not correct.');
      expect(await t.db('users').where({ id: user.internalId }).first()).toBeDefined();
    });

    test('erases what it must and keeps what it must: sessions, profile, articles gone; events kept under one pseudonym; goodbye mail; name and address free', async () => {
      const browser = await signIn(t, user);
      const phone = await signIn(t, user);
      const { access_token: apiToken } = await apiLogin(t, user);
      await writeArticle(browser, 'Soon gone');
      const before = await eventsOf(user);
      await browser.get('/me/delete');
      const res = await browser.submit('/me/delete', { current_password: user.password });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/');
      expect(isCleared(setCookie(res, 'refresh_token'))).toBe(true);

      expect(await t.db('users').where({ id: user.internalId }).first()).toBeUndefined();
      for (const table of ['refresh_sessions', 'known_devices', 'account_tokens']) {
        expect(await countRows(t.db(table).where({ user_id: user.internalId }))).toBe(0);
      }
      expect(await countRows(t.db('articles').where({ author_id: user.internalId }))).toBe(0);
      const kept = await t.db('audit_events').whereIn('id', before.map((row) => row.id)).orderBy('id');
      expect(kept).toHaveLength(before.length);
      const pseudonyms = new Set(kept.map((row) => row.subject_pseudonym));
      expect(pseudonyms.size).toBe(1);
      const [pseudonym] = [...pseudonyms];
      expect(pseudonym).toMatch(/^deleted-[0-9a-f]{16}$/);
      expect(kept.every((row) => row.user_id === null)).toBe(true);
      expect(await t.db('audit_events').where({ event: 'account_deleted', subject_pseudonym: pseudonym })).toHaveLength(1);
      expect(JSON.stringify(await t.db('audit_events').where({ subject_pseudonym: pseudonym }))).not.toContain(user.email);

      expect(await mailsTo(user, GOODBYE)).toHaveLength(1);
      expect((await phone.get('/me')).status).toBe(303);
      expect((await request(t.app).get('/api/me').set(bearer(apiToken))).status).toBe(401);
      const login = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
      expect(login.status).toBe(401);
      const again = await request(t.app).post('/api/auth/register').send({ ...userInput(), username: user.username, email: user.email });
      expect(again.status).toBe(201);
    });

    test('the admin audit log still shows the deleted account\'s history, under its pseudonym', async () => {
      const admin = await createUser(t, { roles: { is_admin: true } });
      const adminBrowser = await signIn(t, admin);
      await apiLogin(t, user);
      const { access_token: token } = await apiLogin(t, user);
      expect((await request(t.app).delete('/api/me').set(bearer(token)).send({ current_password: user.password })).status).toBe(204);
      const row = await t.db('audit_events').where({ event: 'account_deleted' }).orderBy('id', 'desc').first();
      const page = await adminBrowser.get('/admin/audit?event=account_deleted');
      expect(page.text).toContain(row.subject_pseudonym);
      expect(page.text).not.toContain(user.username);
    });

    test('DELETE /api/me: 422 without the password or with a wrong one; with a second factor its code is needed too', async () => {
      const { secret, accessToken } = await enableTotp(t, user);
      const missing = await request(t.app).delete('/api/me').set(bearer(accessToken)).send({});
      expect(missing.status).toBe(422);
      expect(errorEnvelope(missing).fields).toHaveProperty('current_password');
      const noCode = await request(t.app).delete('/api/me').set(bearer(accessToken)).send({ current_password: user.password });
      expect(noCode.status).toBe(422);
      expect(errorEnvelope(noCode).fields).toEqual({ code: expect.any(String) });
      const wrongCode = await request(t.app).delete('/api/me').set(bearer(accessToken)).send({ current_password: user.password, code: '000000' === totpCode(secret, t.clock) ? '111111' : '000000' });
      expect(wrongCode.status).toBe(422);
      expect(await t.db('users').where({ id: user.internalId }).first()).toBeDefined();
      const done = await request(t.app).delete('/api/me').set(bearer(accessToken)).send({ current_password: user.password, code: totpCode(secret, t.clock) });
      expect(done.status).toBe(204);
      expect(await t.db('users').where({ id: user.internalId }).first()).toBeUndefined();
      expect(await countRows(t.db('mfa_totp').where({ user_id: user.internalId }))).toBe(0);
    });

    test('the last active admin cannot delete themselves (409, nothing changed); once another admin exists, they can', async () => {
      const solo = await makeSoloAdmin();
      const { access_token: token } = await apiLogin(t, solo.admin);
      const refused = await request(t.app).delete('/api/me').set(bearer(token)).send({ current_password: solo.admin.password });
      expect(refused.status).toBe(409);
      expect(errorEnvelope(refused).message).toBe(english('account.errors.lastAdmin'));
      expect(await t.db('users').where({ id: solo.admin.internalId }).first()).toBeDefined();
      // The page says so at the top of its form, and keeps the account too.
      const browser = await signIn(t, solo.admin);
      await browser.get('/me/delete');
      const page = await browser.submit('/me/delete', { current_password: solo.admin.password });
      expect(page.status).toBe(409);
      expect(page.text).toContain(english('account.errors.lastAdmin'));
      expect(await t.db('users').where({ id: solo.admin.internalId }).first()).toBeDefined();
      await solo.restore();
      const allowed = await request(t.app).delete('/api/me').set(bearer(token)).send({ current_password: solo.admin.password });
      expect(allowed.status).toBe(204);
    });

    test('a deletion that fails halfway changes nothing: the account, its sessions, articles and events stay as they were', async () => {
      const browser = await signIn(t, user);
      await writeArticle(browser, 'Survives');
      const eventsBefore = await eventsOf(user);
      const deletionsBefore = await countRows(t.db('audit_events').where({ event: 'account_deleted' }));
      await failDeletesOfUsers(async () => {
        await browser.get('/me/delete');
        const res = await browser.submit('/me/delete', { current_password: user.password });
        expect(res.status).toBe(500);
      });
      expect(await t.db('users').where({ id: user.internalId }).first()).toBeDefined();
      expect(await countRows(t.db('articles').where({ author_id: user.internalId }))).toBe(1);
      expect((await eventsOf(user)).map((row) => [row.id, row.subject_pseudonym])).toEqual(eventsBefore.map((row) => [row.id, null]));
      expect(await countRows(t.db('audit_events').where({ event: 'account_deleted' }))).toBe(deletionsBefore);
      expect((await browser.get('/me')).status).toBe(200);
      expect(await mailsTo(user, GOODBYE)).toHaveLength(0);
    });
  });

  describe('an admin forcing a password reset', () => {
    test('ends every session, kills the old password, mails a working link and is audited with the admin', async () => {
      const admin = await createUser(t, { roles: { is_admin: true } });
      const adminBrowser = await signIn(t, admin);
      const victim = await signIn(t, user);
      await adminBrowser.get(`/admin/users/${user.id}`);
      const res = await adminBrowser.submit(`/admin/users/${user.id}/force-password-reset`, {});
      expect(res.status).toBe(303);
      expect((await victim.get('/me')).status).toBe(303);
      expect((await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password })).status).toBe(401);
      const event = await t.db('audit_events').where({ user_id: user.internalId, event: 'password_reset_forced' }).first();
      expect(event.actor_id).toBe(admin.internalId);
      const [mail] = await mailsTo(user, FORCED);
      const link = /(http:\/\/\S+\/auth\/reset\?token=[A-Za-z0-9_-]+)/.exec(mail!.text)?.[1];
      expect(link).toBeDefined();
      const token = new URL(link!).searchParams.get('token')!;
      const reset = await request(t.app).post('/api/auth/reset').send({ token, new_password: 'my own new passphrase 7' });
      expect(reset.status).toBe(200);
      expect((await request(t.app).post('/api/auth/login').send({ login: user.username, password: 'my own new passphrase 7' })).status).toBe(200);
    });

    test('is for admins only', async () => {
      const browser = await signIn(t, user);
      await browser.get('/me');
      expect((await browser.submit(`/admin/users/${user.id}/force-password-reset`, {})).status).toBe(403);
    });
  });

  describe('AUDIT_RETENTION', () => {
    test(`prunes events older than the retention in batches of ${PRUNE_BATCH}, and keeps younger ones`, async () => {
      const old = new Date(t.clock.now().getTime() - (t.config.audit.retentionSeconds + 3600) * 1000);
      const rows = Array.from({ length: PRUNE_BATCH + 20 }, () => ({ event: 'logged_in', user_id: user.internalId, created_at: old }));
      for (let i = 0; i < rows.length; i += 100) await t.db('audit_events').insert(rows.slice(i, i + 100));
      const young = await countRows(t.db('audit_events').where('created_at', '>', old));
      expect(young).toBeGreaterThan(0);
      expect(await t.app.services.audit.prune()).toBeGreaterThanOrEqual(rows.length);
      expect(await countRows(t.db('audit_events').where({ created_at: old }))).toBe(0);
      expect(await countRows(t.db('audit_events').where('created_at', '>', old))).toBe(young);
    });
  });

  /** Makes the admin created in beforeAll (and every other) non-admin, leaving one; `restore` undoes it. */
  async function makeSoloAdmin() {
    const admin = await createUser(t, { roles: { is_admin: true } });
    const others = await t.db('users').where({ is_admin: true, is_active: true }).whereNot({ id: admin.internalId }).select('id');
    const ids = others.map((row) => row.id);
    await t.db('users').whereIn('id', ids).update({ is_admin: false });
    return { admin, restore: () => t.db('users').whereIn('id', ids).update({ is_admin: true }) };
  }

  /** Runs `work` while the database refuses to delete any user row, as a failing disk or a lost connection would. */
  async function failDeletesOfUsers(work: () => Promise<void>) {
    const mysql = engineOf(t.db) === 'mysql';
    await t.db.raw(mysql
      ? "CREATE TRIGGER refuse_user_delete BEFORE DELETE ON users FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'"
      : "CREATE TRIGGER refuse_user_delete BEFORE DELETE ON users BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
    try {
      await work();
    } finally {
      await t.db.raw('DROP TRIGGER refuse_user_delete');
    }
  }
}
