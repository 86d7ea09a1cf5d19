import crypto from 'node:crypto';
import request from 'supertest';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture } from '../helpers/factories';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { ROLES_TEST_ENV } from '../flows/roles.flows';

/**
 * Every page and API route of the roles issue, plus /me and /auth/logout, for each kind of
 * visitor: each cell is one test and asserts the status (and where it leads). Case variants,
 * trailing slashes, bad ids and unexpected methods are rows of their own.
 */
type Role = 'anonymous' | 'reader' | 'author' | 'admin';
const ROLES: Role[] = ['anonymous', 'reader', 'author', 'admin'];
/** 'login' is a 303 to the login page: with ?next=<path> for a GET, without for anything else. */
type Outcome = 'login' | 200 | 303 | 401 | 403 | 404;

interface Row {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  outcomes: [Outcome, Outcome, Outcome, Outcome];
  body?: Record<string, string>;
  /** Where a successful POST redirects. */
  location?: RegExp;
  /** Text the 200 page must show (proves it is the page, not some other 200). */
  shows?: string;
}

const PAGE_403 = 'You do not have permission to perform this operation';
const PAGE_404 = '<title>Page not found';

let t: TestApp;
let users: Record<Exclude<Role, 'anonymous'>, UserFixture>;
let target: UserFixture;
let browsers: Record<Role, Browser>;
let bearer: Record<Exclude<Role, 'anonymous'>, string>;
let article: number;

beforeAll(async () => {
  t = await makeTestApp({ env: ROLES_TEST_ENV });
  users = {
    reader: await createUser(t),
    author: await createUser(t, { roles: { is_author: true } }),
    admin: await createUser(t, { roles: { is_admin: true } }),
  };
  target = await createUser(t);
  article = (await t.app.services.articles.create({ id: users.author.id }, { title: 'Matrix article', body: 'Text.' })).id;
  browsers = { anonymous: new Browser(t.app) } as Record<Role, Browser>;
  await browsers.anonymous.get('/');
  for (const role of ['reader', 'author', 'admin'] as const) {
    browsers[role] = await signIn(t, users[role]);
    await browsers[role].get('/'); // a CSRF token bound to this sign-in
  }
  bearer = {
    reader: (await apiLogin(t, users.reader)).access_token,
    author: (await apiLogin(t, users.author)).access_token,
    admin: (await apiLogin(t, users.admin)).access_token,
  };
});
afterAll(async () => { await t.close(); });

/**
 * Rows name their subjects by placeholder, resolved when the cell runs (ids exist only after
 * beforeAll): {article} is the author's article, {user} the target user's public id.
 */
function resolve(path: string): string {
  return path
    .replace('{article}', String(article))
    .replace('{user}', target.id)
    .replace('{USER}', target.id.toUpperCase())
    .replace('{random-uuid}', crypto.randomUUID());
}

// Edits keep the title and body the GET rows look for, whatever order the cells run in.
const ARTICLE_TEXT = { title: 'Matrix article', body: 'Text.' };

const PAGE_ROWS: Row[] = [
  { method: 'GET', path: '/articles', outcomes: ['login', 200, 200, 200], shows: 'Matrix article' },
  { method: 'GET', path: '/articles/{article}', outcomes: ['login', 200, 200, 200], shows: 'Text.' },
  { method: 'GET', path: '/articles/new', outcomes: ['login', 403, 200, 200], shows: 'New article' },
  { method: 'GET', path: '/articles/{article}/edit', outcomes: ['login', 403, 200, 200], shows: 'Edit article' },
  { method: 'GET', path: '/admin', outcomes: ['login', 403, 403, 200], shows: 'active session' },
  { method: 'GET', path: '/admin/users', outcomes: ['login', 403, 403, 200], shows: 'Search by username, email or name' },
  { method: 'GET', path: '/admin/users/{user}', outcomes: ['login', 403, 403, 200], shows: 'Sign out everywhere' },
  { method: 'GET', path: '/admin/audit', outcomes: ['login', 403, 403, 200], shows: 'Audit log' },
  { method: 'GET', path: '/me', outcomes: ['login', 200, 200, 200], shows: 'Change password' },
  { method: 'GET', path: '/auth/logout', outcomes: [200, 200, 200, 200], shows: 'Log out' },
  { method: 'POST', path: '/articles', body: ARTICLE_TEXT, outcomes: ['login', 403, 303, 303], location: /^\/articles\/\d+$/ },
  { method: 'POST', path: '/articles/{article}', body: ARTICLE_TEXT, outcomes: ['login', 403, 303, 303], location: /^\/articles\/\d+$/ },
  { method: 'POST', path: '/admin/users/{user}', body: { is_reader: '1', is_active: '1' }, outcomes: ['login', 403, 403, 303], location: /^\/admin\/users\/[0-9a-f-]{36}$/ },
  { method: 'POST', path: '/admin/users/{user}/revoke-sessions', outcomes: ['login', 403, 403, 303], location: /^\/admin\/users\/[0-9a-f-]{36}$/ },
];

const API_ROWS: Row[] = [
  { method: 'GET', path: '/api/admin/users', outcomes: [401, 403, 403, 200] },
  { method: 'GET', path: '/api/articles', outcomes: [401, 200, 200, 200] },
  { method: 'GET', path: '/api/articles/{article}', outcomes: [401, 200, 200, 200] },
  { method: 'GET', path: '/api/me', outcomes: [401, 200, 200, 200] },
  { method: 'GET', path: '/API/Admin/USERS', outcomes: [401, 403, 403, 200] },
  { method: 'GET', path: '/api/articles/abc', outcomes: [401, 404, 404, 404] },
  { method: 'GET', path: '/api/articles/99999999999999999999', outcomes: [401, 404, 404, 404] },
  { method: 'DELETE', path: '/api/articles/{article}', outcomes: [404, 404, 404, 404] },
  { method: 'PUT', path: '/api/admin/users', outcomes: [404, 404, 404, 404] },
  { method: 'POST', path: '/api/articles', outcomes: [404, 404, 404, 404] },
];

const VARIANT_ROWS: Row[] = [
  { method: 'GET', path: '/ADMIN', outcomes: ['login', 403, 403, 200], shows: 'active session' },
  { method: 'GET', path: '/Admin/users', outcomes: ['login', 403, 403, 200], shows: 'Search by username, email or name' },
  { method: 'GET', path: '/admin/', outcomes: ['login', 403, 403, 200], shows: 'active session' },
  { method: 'GET', path: '/admin/users/', outcomes: ['login', 403, 403, 200], shows: 'Search by username, email or name' },
  { method: 'GET', path: '/ADMIN/AUDIT', outcomes: ['login', 403, 403, 200], shows: 'Audit log' },
  { method: 'GET', path: '/admin/USERS/{USER}', outcomes: ['login', 403, 403, 200], shows: 'Sign out everywhere' },
  { method: 'GET', path: '/ARTICLES/new', outcomes: ['login', 403, 200, 200], shows: 'New article' },
  { method: 'GET', path: '/articles/new/', outcomes: ['login', 403, 200, 200], shows: 'New article' },
  { method: 'GET', path: '/Articles/', outcomes: ['login', 200, 200, 200], shows: 'Matrix article' },
  { method: 'GET', path: '/Articles/{article}/EDIT', outcomes: ['login', 403, 200, 200], shows: 'Edit article' },
  { method: 'POST', path: '/ADMIN/users/{user}/revoke-sessions', outcomes: ['login', 403, 403, 303] },
  { method: 'POST', path: '/Articles', body: { title: 'Case', body: 'Text.' }, outcomes: ['login', 403, 303, 303] },
];

const BAD_IDS = ['abc', '0', '-1', '1.5', '1e3', '0x10', '007', '2147483648', '99999999999999999999', '999999', '{article}abc'];

const BAD_ID_ROWS: Row[] = [
  ...BAD_IDS.map((bad): Row => ({ method: 'GET', path: `/articles/${bad}`, outcomes: ['login', 404, 404, 404] })),
  { method: 'GET', path: '/articles/abc/edit', outcomes: ['login', 403, 404, 404] },
  { method: 'POST', path: '/articles/abc', body: { title: 'x', body: 'y' }, outcomes: ['login', 403, 404, 404] },
  { method: 'POST', path: '/articles/99999999999999999999/delete', outcomes: ['login', 403, 404, 404] },
  { method: 'GET', path: '/admin/users/not-a-uuid', outcomes: ['login', 403, 403, 404] },
  { method: 'GET', path: '/admin/users/{random-uuid}', outcomes: ['login', 403, 403, 404] },
  { method: 'GET', path: "/admin/users/1'%20OR%20'1'='1", outcomes: ['login', 403, 403, 404] },
  { method: 'POST', path: '/admin/users/{random-uuid}/revoke-sessions', outcomes: ['login', 403, 403, 404] },
];

/** Methods nobody routes: past the gate they are 404, never a 2xx. */
const METHOD_ROWS: Row[] = [
  { method: 'PUT', path: '/admin', outcomes: ['login', 403, 403, 404] },
  { method: 'DELETE', path: '/admin/users/{user}', outcomes: ['login', 403, 403, 404] },
  { method: 'PATCH', path: '/ADMIN/audit', outcomes: ['login', 403, 403, 404] },
  { method: 'PUT', path: '/articles/{article}', outcomes: ['login', 404, 404, 404] },
  { method: 'DELETE', path: '/articles/{article}', outcomes: ['login', 404, 404, 404] },
  { method: 'DELETE', path: '/articles', outcomes: ['login', 404, 404, 404] },
  { method: 'PATCH', path: '/articles/new', outcomes: ['login', 404, 404, 404] },
  { method: 'PUT', path: '/me', outcomes: ['login', 404, 404, 404] },
];

async function send(role: Role, row: Row): Promise<request.Response> {
  const browser = browsers[role];
  if (row.path.toLowerCase().startsWith('/api/')) {
    const req = request(t.app)[row.method.toLowerCase() as 'get'](row.path);
    return role === 'anonymous' ? req : req.set('Authorization', `Bearer ${bearer[role]}`);
  }
  if (row.method === 'GET') return browser.get(row.path);
  if (row.method === 'POST') return browser.submit(row.path, row.body ?? {});
  // Other methods carry the page's CSRF token in the header, as a script would.
  return browser.agent[row.method.toLowerCase() as 'put'](row.path).set('User-Agent', browser.userAgent).set('X-CSRF-Token', browser.csrf ?? '');
}

function check(res: request.Response, row: Row, expected: Outcome): void {
  if (expected === 'login') {
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(row.method === 'GET' ? `/auth/login?next=${encodeURIComponent(row.path)}` : '/auth/login');
    return;
  }
  expect(res.status).toBe(expected);
  const isApi = row.path.toLowerCase().startsWith('/api/');
  if (expected === 403) expect(isApi ? res.body.error.code : res.text).toContain(isApi ? 'forbidden' : PAGE_403);
  if (expected === 404) expect(isApi ? res.body.error.code : res.text).toContain(isApi ? 'not_found' : PAGE_404);
  if (expected === 401) expect(res.body.error.code).toBe('unauthenticated');
  if (expected === 200 && row.shows) expect(res.text).toContain(row.shows.replace(/'/g, '&#39;'));
  if (expected === 303 && row.location) expect(res.headers.location).toMatch(row.location);
}

function cells(rows: Row[]) {
  return rows.flatMap((row) => ROLES.map((role, index) => ({ row, role, expected: row.outcomes[index]!, name: `${row.method} ${row.path} as ${role} → ${row.outcomes[index]}` })));
}

describe.each([
  ['pages', PAGE_ROWS],
  ['API', API_ROWS],
  ['letter case and trailing slashes', VARIANT_ROWS],
  ['bad ids', BAD_ID_ROWS],
  ['unexpected methods', METHOD_ROWS],
])('access matrix: %s', (_name, rows) => {
  test.each(cells(rows))('$name', async ({ row, role, expected }) => {
    const resolved = { ...row, path: resolve(row.path) };
    const res = await send(role, resolved);
    try {
      check(res, resolved, expected);
    } catch (error) {
      throw new Error(`${resolved.method} ${resolved.path} as ${role}: expected ${expected}, got ${res.status} ${res.headers.location ?? ''}\n${(error as Error).message}`);
    }
  });
});

describe('access matrix: state-changing cells that need their own subject', () => {
  test.each(ROLES.map((role, index) => ({ role, expected: (['login', 403, 303, 303] as Outcome[])[index]! })))(
    'POST /articles/:id/delete as $role → $expected', async ({ role, expected }) => {
      const fresh = (await t.app.services.articles.create({ id: users.author.id }, { title: 'Doomed', body: 'Text.' })).id;
      const row: Row = { method: 'POST', path: `/articles/${fresh}/delete`, outcomes: ['login', 403, 303, 303], location: /^\/articles$/ };
      check(await send(role, row), row, expected);
      const exists = Boolean(await t.db('articles').where({ id: fresh }).first());
      expect(exists).toBe(expected !== 303);
    });

  test.each(ROLES.map((role) => ({ role })))('POST /auth/logout as $role → 303 to the login page', async ({ role }) => {
    const browser = role === 'anonymous' ? new Browser(t.app) : await signIn(t, users[role]);
    await browser.get('/auth/logout');
    const res = await browser.submit('/auth/logout', {});
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/auth/login');
    if (role !== 'anonymous') expect((await browser.get('/me')).status).toBe(303);
  });
});
