import request from 'supertest';
import * as Users from '../../src/models/user.model';
import { english, localize } from '../../src/lib/i18n';
import { ADMIN_MESSAGES } from '../../src/services/admin.service';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture } from '../helpers/factories';
import type { TestApp } from '../helpers/make-app';

/**
 * Roles at work (SPEC.md: pages table, Tokens, Data), written once and run on SQLite
 * (test/integration/roles.test.ts) and on MariaDB (test/mysql/roles.test.ts).
 */

/** Logins in these suites come from one IP; the per-IP limit is not what they test. */
export const ROLES_TEST_ENV = { RATE_LIMIT_AUTH_PER_IP: '100000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000' };

export function defineRolesFlows(setup: () => Promise<TestApp>): void {
  let t: TestApp;
  let admin: UserFixture;
  let adminBrowser: Browser;

  beforeAll(async () => {
    t = await setup();
    admin = await createUser(t, { roles: { is_admin: true } });
    adminBrowser = await signIn(t, admin);
  });
  afterAll(async () => { await t.close(); });

  const rowOf = async (user: UserFixture) => (await Users.findUserByPublicId(t.db, user.id))!;

  /** Opens the user's admin page (as an admin would) and submits its form with these boxes ticked. */
  async function saveAccount(browser: Browser, target: UserFixture, boxes: Record<string, string>) {
    await browser.get(`/admin/users/${target.id}`);
    return browser.submit(`/admin/users/${target.id}`, boxes);
  }

  async function auditRows(event: string, user: UserFixture) {
    return t.db('audit_events').where({ event, user_id: user.internalId }).orderBy('id');
  }

  const liveSessions = async (user: UserFixture) =>
    (await t.db('refresh_sessions').where({ user_id: user.internalId }).whereNull('revoked_at')).length;

  describe('a role change', () => {
    test('granting author answers 303, bumps token_version only and audits roles_changed naming the admin', async () => {
      const reader = await createUser(t);
      await signIn(t, reader);
      const before = await rowOf(reader);

      const res = await saveAccount(adminBrowser, reader, { is_reader: '1', is_author: '1', is_active: '1' });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`/admin/users/${reader.id}`);

      const after = await rowOf(reader);
      expect(after.is_author).toBe(true);
      expect(after.is_admin).toBe(false);
      expect(after.token_version).toBe(before.token_version + 1);
      expect(await liveSessions(reader)).toBe(1);
      const [event, ...more] = await auditRows('roles_changed', reader);
      expect(more).toHaveLength(0);
      expect(event.actor_id).toBe(admin.internalId);
      expect(JSON.parse(event.details)).toEqual({ from: ['reader'], to: ['reader', 'author'] });
    });

    test("the user's browser sees \"New article\" on its next page without signing in again; its old token by Bearer gets 401 token_stale", async () => {
      const reader = await createUser(t);
      const browser = await signIn(t, reader);
      const page = await browser.get('/articles');
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('href="/articles/new"');
      const oldAccess = browser.cookie('access_token')!;

      expect((await saveAccount(adminBrowser, reader, { is_reader: '1', is_author: '1', is_active: '1' })).status).toBe(303);

      const next = await browser.get('/articles');
      expect(next.status).toBe(200);
      expect(next.text).toContain('href="/articles/new"');
      expect(browser.cookie('access_token')).not.toBe(oldAccess);
      expect((await browser.get('/articles/new')).status).toBe(200);

      const stale = await request(t.app).get('/api/me').set('Authorization', `Bearer ${oldAccess}`);
      expect(stale.status).toBe(401);
      expect(stale.body.error.code).toBe('token_stale');
    });

    test('an API client refreshes after token_stale and its new token carries the new roles', async () => {
      const author = await createUser(t, { roles: { is_author: true } });
      const tokens = await apiLogin(t, author);
      expect((await saveAccount(adminBrowser, author, { is_reader: '1', is_active: '1' })).status).toBe(303);

      expect((await request(t.app).get('/api/articles').set('Authorization', `Bearer ${tokens.access_token}`)).status).toBe(401);
      const refreshed = await request(t.app).post('/api/auth/refresh').send({ refresh_token: tokens.refresh_token });
      expect(refreshed.status).toBe(200);
      const claims = JSON.parse(Buffer.from(refreshed.body.access_token.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ is_reader: true, is_author: false, is_admin: false });
    });

    test('taking a role away applies on the next request: the former author gets 403 on /articles/new', async () => {
      const author = await createUser(t, { roles: { is_author: true } });
      const browser = await signIn(t, author);
      expect((await browser.get('/articles/new')).status).toBe(200);
      expect((await saveAccount(adminBrowser, author, { is_reader: '1', is_active: '1' })).status).toBe(303);
      const res = await browser.get('/articles/new');
      expect(res.status).toBe(403);
      expect(res.text).toContain('You do not have permission to perform this operation');
    });

    test('saving the form unchanged writes nothing and bumps nothing', async () => {
      const reader = await createUser(t);
      const before = await rowOf(reader);
      const res = await saveAccount(adminBrowser, reader, { is_reader: '1', is_active: '1' });
      expect(res.status).toBe(303);
      expect((await rowOf(reader)).token_version).toBe(before.token_version);
      expect(await auditRows('roles_changed', reader)).toHaveLength(0);
    });
  });

  describe('disabling an account', () => {
    test('refuses the user at once: next page by cookie lands on the login page, Bearer gets 401, refresh and login fail', async () => {
      const user = await createUser(t);
      const browser = await signIn(t, user);
      const tokens = await apiLogin(t, user);
      expect((await browser.get('/me')).status).toBe(200);

      const res = await saveAccount(adminBrowser, user, { is_reader: '1' });
      expect(res.status).toBe(303);

      const row = await rowOf(user);
      expect(row.is_active).toBe(false);
      expect(await liveSessions(user)).toBe(0);
      const [event] = await auditRows('user_disabled', user);
      expect(event.actor_id).toBe(admin.internalId);

      const page = await browser.get('/me');
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe('/auth/login?next=%2Fme');
      const bearer = await request(t.app).get('/api/me').set('Authorization', `Bearer ${tokens.access_token}`);
      expect(bearer.status).toBe(401);
      expect((await request(t.app).post('/api/auth/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(401);
      expect((await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password })).status).toBe(401);
    });

    test('enabling again audits user_enabled with the admin, and the user can sign in', async () => {
      const user = await createUser(t, { roles: { is_active: false } });
      const res = await saveAccount(adminBrowser, user, { is_reader: '1', is_active: '1' });
      expect(res.status).toBe(303);
      expect((await rowOf(user)).is_active).toBe(true);
      expect((await auditRows('user_enabled', user))[0].actor_id).toBe(admin.internalId);
      expect((await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password })).status).toBe(200);
    });
  });

  describe('sign out everywhere', () => {
    test('POST /admin/users/:id/revoke-sessions ends every session at once, keeps the roles, and audits sessions_revoked', async () => {
      const user = await createUser(t, { roles: { is_author: true } });
      const browser = await signIn(t, user);
      const tokens = await apiLogin(t, user);
      await adminBrowser.get(`/admin/users/${user.id}`);
      const res = await adminBrowser.submit(`/admin/users/${user.id}/revoke-sessions`, {});
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`/admin/users/${user.id}`);

      expect(await liveSessions(user)).toBe(0);
      expect((await rowOf(user)).is_author).toBe(true);
      expect((await browser.get('/me')).headers.location).toBe('/auth/login?next=%2Fme');
      expect((await request(t.app).get('/api/me').set('Authorization', `Bearer ${tokens.access_token}`)).status).toBe(401);
      const [event] = await auditRows('sessions_revoked', user);
      expect(event.actor_id).toBe(admin.internalId);
    });
  });

  describe('safety rules', () => {
    test('an admin cannot remove their own admin role: 422, the page says why, nothing changes', async () => {
      const self = await createUser(t, { roles: { is_admin: true } });
      const browser = await signIn(t, self);
      const before = await rowOf(self);
      const res = await saveAccount(browser, self, { is_reader: '1', is_active: '1' });
      expect(res.status).toBe(422);
      expect(res.text).toContain(`<span class="field-error" id="is_admin-error">${localize(ADMIN_MESSAGES.selfDemotion, english)}</span>`);
      expect(res.text).toContain('Sign out everywhere'); // the whole user page, re-rendered
      const after = await rowOf(self);
      expect(after.is_admin).toBe(true);
      expect(after.token_version).toBe(before.token_version);
      expect(await auditRows('roles_changed', self)).toHaveLength(0);
    });

    test('an admin cannot disable themselves: 422 with the reason; still active and signed in', async () => {
      const self = await createUser(t, { roles: { is_admin: true } });
      const browser = await signIn(t, self);
      const res = await saveAccount(browser, self, { is_reader: '1', is_admin: '1' });
      expect(res.status).toBe(422);
      expect(res.text).toContain(`<span class="field-error" id="is_active-error">${localize(ADMIN_MESSAGES.selfDisable, english)}</span>`);
      expect((await rowOf(self)).is_active).toBe(true);
      expect((await browser.get('/admin')).status).toBe(200);
    });

    test('an admin may still change their other roles, and their own page locks the admin and active boxes', async () => {
      const self = await createUser(t, { roles: { is_admin: true, is_author: true } });
      const browser = await signIn(t, self);
      const page = await browser.get(`/admin/users/${self.id}`);
      expect(page.text).toContain('You cannot remove your own admin role or disable yourself');
      expect(page.text).toMatch(/<input type="checkbox" id="is_admin" checked disabled/);
      const res = await browser.submit(`/admin/users/${self.id}`, { is_reader: '1', is_admin: '1', is_active: '1' });
      expect(res.status).toBe(303);
      const row = await rowOf(self);
      expect([row.is_author, row.is_admin]).toEqual([false, true]);
    });

    test('the last active admin can never lose the role or be disabled, whoever asks', async () => {
      const a = await createUser(t, { roles: { is_admin: true } });
      const b = await createUser(t, { roles: { is_admin: true } });
      // Leave a and b as the only admins of this database for the length of the test.
      const others = await t.db('users').where({ is_admin: true }).whereNotIn('id', [a.internalId, b.internalId]).pluck('id');
      await t.db('users').whereIn('id', others).update({ is_admin: false });
      try {
        const browserA = await signIn(t, a);
        expect((await saveAccount(browserA, b, { is_reader: '1', is_active: '1' })).status).toBe(303);
        // b's demotion committed; b acting on a now (a request that was already under way) is refused.
        const meta = { ip: '127.0.0.1', userAgent: 'test' };
        const flags = { is_reader: true, is_author: false, is_admin: false, is_active: true };
        await expect(t.app.services.admin.updateAccount(b.id, a.id, flags, meta)).rejects.toMatchObject({ status: 409, message: localize(ADMIN_MESSAGES.lastAdmin, english) });
        await expect(t.app.services.admin.updateAccount(b.id, a.id, { ...flags, is_admin: true, is_active: false }, meta)).rejects.toMatchObject({ status: 409 });
        expect((await rowOf(a)).is_admin).toBe(true);
        expect((await rowOf(a)).is_active).toBe(true);
      } finally {
        await t.db('users').whereIn('id', others).update({ is_admin: true });
      }
    });

    test('two admins demoting each other at the same moment: exactly one wins, one active admin remains', async () => {
      const a = await createUser(t, { roles: { is_admin: true } });
      const b = await createUser(t, { roles: { is_admin: true } });
      const others = await t.db('users').where({ is_admin: true }).whereNotIn('id', [a.internalId, b.internalId]).pluck('id');
      await t.db('users').whereIn('id', others).update({ is_admin: false });
      try {
        const [browserA, browserB] = [await signIn(t, a), await signIn(t, b)];
        await browserA.get(`/admin/users/${b.id}`);
        await browserB.get(`/admin/users/${a.id}`);
        const demote = { is_reader: '1', is_active: '1' };
        const results = await Promise.all([browserA.submit(`/admin/users/${b.id}`, demote), browserB.submit(`/admin/users/${a.id}`, demote)]);
        const statuses = results.map((res) => res.status).sort();
        expect(statuses.filter((status) => status === 303)).toHaveLength(1);
        expect([403, 409]).toContain(statuses.find((status) => status !== 303));
        const admins = await t.db('users').where({ is_admin: true, is_active: true }).whereIn('id', [a.internalId, b.internalId]);
        expect(admins).toHaveLength(1);
      } finally {
        await t.db('users').whereIn('id', others).update({ is_admin: true });
      }
    });
  });

  describe('article ownership (IDOR)', () => {
    let authorA: UserFixture;
    let browserA: Browser;
    let browserB: Browser;

    beforeAll(async () => {
      authorA = await createUser(t, { roles: { is_author: true } });
      const authorB = await createUser(t, { roles: { is_author: true } });
      browserA = await signIn(t, authorA);
      browserB = await signIn(t, authorB);
    });

    async function publish(title = 'A title', body = 'First paragraph.\n\nSecond paragraph.'): Promise<number> {
      await browserA.get('/articles/new');
      const res = await browserA.submit('/articles', { title, body });
      expect(res.status).toBe(303);
      return Number(/^\/articles\/(\d+)$/.exec(String(res.headers.location))![1]);
    }
    const articleRow = (id: number) => t.db('articles').where({ id }).first();

    test("author B editing author A's article by id gets 403, whatever the input, and the row is untouched", async () => {
      const id = await publish();
      expect((await browserB.get(`/articles/${id}/edit`)).status).toBe(403);
      const res = await browserB.submit(`/articles/${id}`, { title: 'Hijacked', body: 'pwned' });
      expect(res.status).toBe(403);
      expect(res.text).toContain('You do not have permission to perform this operation');
      expect((await browserB.submit(`/articles/${id}`, { title: '', body: '' })).status).toBe(403);
      expect((await articleRow(id)).title).toBe('A title');
    });

    test("author B deleting author A's article by id gets 403 and the article stays", async () => {
      const id = await publish();
      await browserB.get(`/articles/${id}`);
      expect((await browserB.submit(`/articles/${id}/delete`, {})).status).toBe(403);
      expect(await articleRow(id)).toBeDefined();
    });

    test('the author edits and deletes their own; an admin edits and deletes anyone\'s', async () => {
      const own = await publish();
      await browserA.get(`/articles/${own}/edit`);
      expect((await browserA.submit(`/articles/${own}`, { title: 'Own edit', body: 'Changed.' })).status).toBe(303);
      expect((await articleRow(own)).title).toBe('Own edit');
      expect((await browserA.submit(`/articles/${own}/delete`, {})).headers.location).toBe('/articles');
      expect(await articleRow(own)).toBeUndefined();

      const theirs = await publish();
      await adminBrowser.get(`/articles/${theirs}/edit`);
      expect((await adminBrowser.submit(`/articles/${theirs}`, { title: 'Moderated', body: 'By an admin.' })).status).toBe(303);
      const row = await articleRow(theirs);
      expect([row.title, row.author_id]).toEqual(['Moderated', authorA.internalId]);
      expect((await adminBrowser.submit(`/articles/${theirs}/delete`, {})).status).toBe(303);
      expect(await articleRow(theirs)).toBeUndefined();
    });

    test('the longest title and body, in 4-byte characters, fit a form post and are stored and read back exactly', async () => {
      // 8 000 emoji are 96 kB once form-encoded (12 bytes each): the worst case still fits the
      // 100 kB request limit, so a long article can never be lost to a 413.
      const title = '😀'.repeat(200);
      const body = `${'🦊'.repeat(7_997)}\n\nZ`;
      const id = await publish(title, body);
      const res = await request(t.app).get(`/api/articles/${id}`).set('Authorization', `Bearer ${(await apiLogin(t, authorA)).access_token}`);
      expect(res.status).toBe(200);
      expect(res.body.title).toBe(title);
      expect(res.body.body).toBe(body);
      expect([...res.body.body]).toHaveLength(8_000);
    });

    test('a title of 200 characters in a form is accepted, 201 are refused with 422 at the field', async () => {
      const ok = await publish('é'.repeat(200), 'Body.');
      expect((await articleRow(ok)).title).toBe('é'.repeat(200));
      await browserA.get('/articles/new');
      const res = await browserA.submit('/articles', { title: 'é'.repeat(201), body: 'Body.' });
      expect(res.status).toBe(422);
      expect(res.text).toContain('The title must be at most 200 characters.');
    });
  });
}
