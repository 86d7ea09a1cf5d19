import request from 'supertest';
import * as Users from '../../src/models/user.model';
import { Browser } from '../helpers/browser';
import { apiLogin, confirmIdentity, createUser, signIn, UserFixture } from '../helpers/factories';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { ROLES_TEST_ENV } from '../flows/roles.flows';

let t: TestApp;
let admin: UserFixture;
let browser: Browser;
let adminToken: string;

beforeAll(async () => {
  t = await makeTestApp({ env: ROLES_TEST_ENV });
  admin = await createUser(t, { roles: { is_admin: true }, first_name: 'Ada' });
  browser = await signIn(t, admin);
  adminToken = (await apiLogin(t, admin)).access_token;
});
afterAll(async () => { await t.close(); });

const count = async (table: string, where: (q: ReturnType<TestApp['db']>) => unknown = () => undefined) => {
  const query = t.db(table);
  where(query);
  return Number((await query.count({ n: '*' }).first())?.n);
};

describe('GET /admin', () => {
  test('shows the counts of users, active sessions and audit events of the last 24 hours, as the database has them', async () => {
    const now = t.clock.now();
    const users = await count('users');
    const sessions = Number((await t.db('refresh_sessions').whereNull('revoked_at').where('expires_at', '>', now).countDistinct({ n: 'family_id' }).first())?.n);
    const res = await browser.get('/admin');
    const events = await count('audit_events', (q) => q.where('created_at', '>=', new Date(now.getTime() - 86_400_000)));
    expect(res.status).toBe(200);
    expect(res.text).toContain(`id="stat-users">${users}<`);
    expect(res.text).toContain(`id="stat-sessions">${sessions}<`);
    expect(res.text).toContain(`id="stat-events">${events}<`);
    expect(sessions).toBeGreaterThanOrEqual(2);
  });

  test('events older than a day leave the recent count', async () => {
    const before = /id="stat-events">(\d+)</.exec((await browser.get('/admin')).text)![1];
    t.clock.advance(2 * 86_400);
    const after = /id="stat-events">(\d+)</.exec((await browser.get('/admin')).text)![1];
    expect(Number(after)).toBeLessThan(Number(before));
  });
});

describe('GET /admin/users', () => {
  let people: UserFixture[];
  beforeAll(async () => {
    people = [
      await createUser(t, { username: 'grace.hopper', email: 'grace@navy.example', first_name: 'Grace' }),
      await createUser(t, { username: 'alan_turing', email: 'alan@bletchley.example', first_name: '<b>Alan</b>' }),
      await createUser(t, { username: 'edsger', email: 'ewd@utexas.example' }),
    ];
  });

  test.each([
    ['grace', ['grace.hopper']],
    ['ALAN@bletchley', ['alan_turing']],
    ['*BLETCHLEY', ['alan_turing']],
    ['bletchley', []],
    ['<b>alan', ['alan_turing']],
    ['ewd@', ['edsger']],
  ])('q=%s finds by the start of a username, email or name, in any case (* matches anything)', async (q, expected) => {
    const res = await browser.get(`/admin/users?q=${encodeURIComponent(q)}`);
    expect(res.status).toBe(200);
    for (const person of people) {
      expect(res.text.includes(`>${person.username}<`)).toBe(expected.includes(person.username));
    }
  });

  test('LIKE wildcards typed in the search match literally', async () => {
    const res = await browser.get('/admin/users?q=%25');
    expect(res.text).toContain('No user matches “%”.');
  });

  test('names are escaped in the list', async () => {
    const res = await browser.get('/admin/users?q=alan');
    expect(res.text).toContain('&lt;b&gt;Alan&lt;/b&gt;');
    expect(res.text).not.toContain('<b>Alan</b>');
  });

  test('pages by twenty, newest first, and the next-page link keeps the search', async () => {
    for (let i = 0; i < 22; i += 1) {
      await createUser(t, { username: `paged_${String(i).padStart(2, '0')}` });
      t.clock.advance(1);
    }
    const first = await browser.get('/admin/users?q=paged_');
    const names = [...first.text.matchAll(/>(paged_\d\d)</g)].map((match) => match[1]);
    expect(names).toHaveLength(20);
    expect(names[0]).toBe('paged_21');
    expect(first.text).toContain('href="/admin/users?q=paged_&amp;page=2"');
    const second = await browser.get('/admin/users?q=paged_&page=2');
    expect([...second.text.matchAll(/>(paged_\d\d)</g)].map((match) => match[1])).toEqual(['paged_01', 'paged_00']);
  });

  test('a repeated q is refused with 422', async () => {
    expect((await browser.get('/admin/users?q=a&q=b')).status).toBe(422);
  });
});

describe('GET /admin/users/:id', () => {
  // Role changes are sensitive (sudo mode), and an earlier test moved the clock by days.
  beforeEach(async () => { await confirmIdentity(browser, admin.password); });
  test("shows the roles as ticked boxes, the user's sessions by device and their recent audit events", async () => {
    const user = await createUser(t, { roles: { is_author: true } });
    await signIn(t, user, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0');
    const res = await browser.get(`/admin/users/${user.id}`);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/id="is_reader" name="is_reader" value="1" checked/);
    expect(res.text).toMatch(/id="is_author" name="is_author" value="1" checked/);
    expect(res.text).toMatch(/id="is_admin" name="is_admin" value="1" aria-describedby/);
    expect(res.text).toContain('Firefox on Windows');
    expect(res.text).toContain('<code>logged_in</code>');
    expect(res.text).toContain('<code>registered</code>');
    expect(res.text).toContain(`action="/admin/users/${user.id}/revoke-sessions"`);
  });

  test.each([
    ['yes', 'is_admin=yes&is_reader=1&is_active=1'],
    ['a repeated box', 'is_admin=1&is_admin=1&is_reader=1&is_active=1'],
  ])('a checkbox sent as %s is refused with 422 and nothing changes', async (_name, form) => {
    const user = await createUser(t);
    await browser.get(`/admin/users/${user.id}`);
    const res = await browser.submit(`/admin/users/${user.id}`, form);
    expect(res.status).toBe(422);
    expect(res.text).toContain('is_admin must be a checkbox value.');
    expect((await Users.findUserByPublicId(t.db, user.id))!.is_admin).toBe(false);
  });

  test('a POST without the CSRF token is refused with 403 and changes nothing', async () => {
    const user = await createUser(t);
    const res = await browser.agent.post(`/admin/users/${user.id}`).type('form').send({ is_reader: '1', is_admin: '1', is_active: '1' });
    expect(res.status).toBe(403);
    expect((await Users.findUserByPublicId(t.db, user.id))!.is_admin).toBe(false);
  });

  test('making someone an admin works, and they see the Admin link on their next page', async () => {
    const user = await createUser(t);
    const theirs = await signIn(t, user);
    expect((await theirs.get('/')).text).not.toContain('href="/admin"');
    await browser.get(`/admin/users/${user.id}`);
    expect((await browser.submit(`/admin/users/${user.id}`, { is_reader: '1', is_admin: '1', is_active: '1' })).status).toBe(303);
    const home = await theirs.get('/');
    expect(home.text).toContain('href="/admin"');
    expect((await theirs.get('/admin')).status).toBe(200);
  });
});

const eventsShown = (html: string) => [...html.matchAll(/<td><code>([a-z_]+)<\/code><\/td>/g)].map((match) => match[1]);
const eventsInDatabase = async (user: UserFixture) =>
  (await t.db('audit_events').where({ user_id: user.internalId }).orderBy('id', 'desc').select('event')).map((row) => row.event);

describe('GET /admin/audit', () => {
  beforeEach(async () => { await confirmIdentity(browser, admin.password); });
  let subject: UserFixture;
  beforeAll(async () => {
    subject = await createUser(t, { username: 'audited_one' });
    await signIn(t, subject);
    await request(t.app).post('/api/auth/login').send({ login: subject.username, password: 'wrong password!' });
  });

  test('filters by username and by event type', async () => {
    const res = await browser.get('/admin/audit?user=audited_one&event=login_failed');
    expect(res.status).toBe(200);
    expect(eventsShown(res.text)).toEqual(['login_failed']);
    const all = await browser.get('/admin/audit?user=audited_one');
    expect(eventsShown(all.text)).toEqual(await eventsInDatabase(subject));
    expect(eventsShown(all.text)).toEqual(expect.arrayContaining(['login_failed', 'logged_in', 'registered']));
  });

  test('filters by public id, as the user page links to it', async () => {
    const res = await browser.get(`/admin/audit?user=${subject.id}`);
    expect(eventsShown(res.text)).toEqual(await eventsInDatabase(subject));
  });

  test('an unknown user shows no events, not everyone\'s', async () => {
    const res = await browser.get('/admin/audit?user=nobody_here');
    expect(res.text).toContain('No user is called “nobody_here”.');
    expect(res.text).not.toContain('<td><code>');
  });

  test('an unknown event type is refused with 422', async () => {
    const res = await browser.get('/admin/audit?event=drop_table');
    expect(res.status).toBe(422);
    expect(res.text).toContain('Choose an event from the list.');
  });

  test('names the admin who acted in the By column', async () => {
    const user = await createUser(t);
    await browser.get(`/admin/users/${user.id}`);
    await browser.submit(`/admin/users/${user.id}`, { is_reader: '1', is_author: '1', is_active: '1' });
    const res = await browser.get(`/admin/audit?user=${user.id}&event=roles_changed`);
    expect(res.text).toContain(`<a href="/admin/users/${admin.id}"><bdi>${admin.username}</bdi></a>`);
    expect(res.text).toContain('from: reader; to: reader, author');
  });

  test('pages by fifty', async () => {
    for (let i = 0; i < 55; i += 1) {
      await t.app.services.audit.record('login_failed', { userId: subject.internalId, details: { reason: `n${i}` } });
    }
    const first = await browser.get(`/admin/audit?user=${subject.username}&event=login_failed`);
    expect([...first.text.matchAll(/<td><code>login_failed<\/code><\/td>/g)]).toHaveLength(50);
    expect(first.text).toContain(`href="/admin/audit?user=${subject.username}&amp;event=login_failed&amp;page=2"`);
    const second = await browser.get(`/admin/audit?user=${subject.username}&event=login_failed&page=2`);
    expect([...second.text.matchAll(/<td><code>login_failed<\/code><\/td>/g)]).toHaveLength(6);
  });
});

describe('GET /api/admin/users', () => {
  // The dashboard tests moved the clock by days: sign in again for a live token.
  beforeAll(async () => { adminToken = (await apiLogin(t, admin)).access_token; });

  test('answers a page of public users, searchable, without secrets', async () => {
    const res = await request(t.app).get('/api/admin/users?q=grace').set('Authorization', `Bearer ${adminToken}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 1, per_page: 20, total: 1, total_pages: 1 });
    expect(res.body.users[0]).toMatchObject({ username: 'grace.hopper', email: 'grace@navy.example', is_reader: true, is_admin: false });
    expect(res.body.users[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(res.body)).not.toMatch(/password|token_version|"internal/);
  });

  test('page 2 of everyone holds the rest', async () => {
    const total = await count('users');
    const res = await request(t.app).get('/api/admin/users?page=2').set('Authorization', `Bearer ${adminToken}`);
    expect(res.body.total).toBe(total);
    expect(res.body.users).toHaveLength(Math.min(20, Math.max(0, total - 20)));
  });
});
