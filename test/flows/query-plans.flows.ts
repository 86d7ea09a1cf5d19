import request from 'supertest';
import { seed } from '../../src/db/seed';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture } from '../helpers/factories';
import type { TestApp } from '../helpers/make-app';
import { captureQueries, planOf } from '../helpers/query-plans';

/**
 * Every query of the pages and API routes that must stay fast as the tables grow
 * (docs/performance.md), explained by the database itself on a seeded database: none
 * may read a whole table or a whole index. Each page is requested once first, so totals past
 * the exact-count cap come from their cache (lib/count-cache.ts: a full count at most once per
 * TTL, which is tested on its own) and what is explained is what every later request runs.
 * Written once, run on SQLite (with and without ANALYZE's statistics) and on MariaDB.
 */
export const QUERY_PLANS_ENV = { RATE_LIMIT_AUTH_PER_IP: '100000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000' };
// Every unfiltered total above COUNT_EXACT_UP_TO, so that it is served from the count cache.
const SEEDED = { users: 3000, sessions: 6000, audit: 30_000, articles: 1200 };

const nextHref = (html: string) => /href="([^"]+)" rel="next"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

export function defineQueryPlanFlows(setup: () => Promise<TestApp>, options: { analyze?: boolean } = {}): void {
  let t: TestApp;
  let admin: UserFixture;
  let browser: Browser;
  let member: UserFixture;
  let memberBrowser: Browser;
  let refreshToken: string;

  beforeAll(async () => {
    t = await setup();
    const hash = await t.app.services.passwords.hash('seeded accounts are never signed in here');
    await seed(t.db, { counts: SEEDED, passwordHash: async () => hash });
    admin = await createUser(t, { roles: { is_admin: true } });
    browser = await signIn(t, admin);
    member = await createUser(t);
    // A member with 50 sign-ins, as the sessions page target of the bench has.
    for (let i = 0; i < 49; i += 1) ({ refresh_token: refreshToken } = await apiLogin(t, member));
    memberBrowser = await signIn(t, member);
    if (options.analyze) await t.db.raw('analyze');
    else if (t.db.client.config.client === 'mysql2') await t.db.raw('analyze table users, refresh_sessions, audit_events, articles, account_tokens');
  }, 120_000);
  afterAll(async () => { await t.close(); });

  /** Runs `action` once to warm the caches, then again while capturing what it sends; explains each. */
  async function expectNoFullScan(action: () => Promise<unknown>): Promise<void> {
    await action();
    const queries = await captureQueries(t.db, action);
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      const { plan, fullScans } = await planOf(t.db, query);
      expect({ sql: query.sql, plan, fullScans }).toEqual({ sql: query.sql, plan, fullScans: [] });
    }
  }

  const page = (path: string) => async () => {
    const res = await browser.get(path);
    expect(res.status).toBe(200);
    return res;
  };
  const nextOf = async (path: string) => nextHref((await browser.get(path)).text)!;

  test('(control) the check itself reports a query that reads every row', async () => {
    const { fullScans } = await planOf(t.db, { sql: "select * from users where first_name like ? escape '!'", bindings: ['%ada%'] });
    expect(fullScans.length).toBeGreaterThan(0);
  });

  test.each([
    ['the dashboard', '/admin'],
    ['the user list', '/admin/users'],
    ['a search by the start of a name', '/admin/users?q=gra'],
    ['a search by the start of an address', '/admin/users?q=ada.lovelace'],
    ['a user list page number typed alone', '/admin/users?page=40'],
    ['the audit log', '/admin/audit'],
    ['the audit log of the busiest user', '/admin/audit?user=seed_0000001'],
    ['the audit log of one event type', '/admin/audit?event=login_failed'],
    ['an audit page number typed alone', '/admin/audit?event=login_failed&page=30'],
    ['the articles', '/articles'],
  ])('GET %s (%s) reads no whole table', async (_name, path) => {
    await expectNoFullScan(page(path));
  });

  test.each([
    ['the user list', '/admin/users'],
    ['a search', '/admin/users?q=a'],
    ['the busiest user\'s events', '/admin/audit?user=seed_0000001'],
    ['one event type', '/admin/audit?event=login_failed'],
    ['the articles', '/articles'],
  ])('the Next page of %s reads no whole table', async (_name, path) => {
    const second = await nextOf(path);
    await expectNoFullScan(page(await nextOf(second)));
  });

  test.each([
    ['one event type', '/admin/audit?event=login_failed', 60],
    ['the busiest user\'s events', '/admin/audit?user=seed_0000001', 10],
    ['the user list', '/admin/users', 100],
  ])('a Next page deep into %s reads about a page of index entries, not the rows above it (MariaDB\'s handler counts)', async (_name, path, depth) => {
    if (t.db.client.config.client !== 'mysql2') return;
    const deep = await nextOf(`${path}${path.includes('?') ? '&' : '?'}page=${depth - 1}`);
    const queries = await captureQueries(t.db, page(deep));
    const reads = await t.db.transaction(async (trx) => {
      await trx.raw('flush status');
      for (const query of queries) await trx.raw(query.sql, query.bindings as never);
      const [rows] = await trx.raw("show session status like 'Handler_read%'");
      return (rows as Array<{ Variable_name: string; Value: string }>).reduce((sum, row) => sum + Number(row.Value), 0);
    });
    // A page is 20 or 50 rows, each with up to two joined names; the rows above it number thousands.
    expect(reads).toBeLessThan(400);
  });

  test('a user\'s admin page reads no whole table', async () => {
    const busiest = (await t.db('users').where({ username: 'seed_0000001' }).first('public_id')).public_id;
    await expectNoFullScan(page(`/admin/users/${busiest}`));
  });

  test('GET /me/sessions for a user with 50 sessions, GET /me and GET /api/me read no whole table', async () => {
    const { access_token: token } = await apiLogin(t, member);
    await expectNoFullScan(async () => {
      expect((await memberBrowser.get('/me/sessions')).status).toBe(200);
      expect((await memberBrowser.get('/me')).status).toBe(200);
      expect((await request(t.app).get('/api/me').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    });
  });

  test('POST /api/auth/login and a refresh rotation read no whole table', async () => {
    let token = refreshToken;
    await expectNoFullScan(async () => {
      expect((await request(t.app).post('/api/auth/login').send({ login: member.username, password: member.password })).status).toBe(200);
      const res = await request(t.app).post('/api/auth/refresh').send({ refresh_token: token });
      expect(res.status).toBe(200);
      token = res.body.refresh_token;
    });
  });

  test('pruning expired sessions and links reads no whole table', async () => {
    await expectNoFullScan(async () => {
      await t.app.services.sessions.prune();
      await t.app.services.verification.prune();
    });
  });
}
