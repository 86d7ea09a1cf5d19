import { BenchAccount, BENCH_ADMIN, BENCH_SESSIONS, BENCH_USER } from './lib/fixture';
import { apiLogin, COOKIES, cookiePair, csrfCookie, freshRefreshTokens, getPage, nextLinkOf } from './lib/client';
import type { LoadRequest } from './lib/load';
import type { TargetKey } from './lib/args';

/** A Gatehouse target: `prepare` runs before every repetition and returns what autocannon sends. */
export interface GatehouseTarget {
  key: TargetKey;
  label: string;
  timeoutS?: number;
  /** In a counted run (--requests), the share of the count it sends: a login costs as much CPU as a hundred pages. */
  countShare?: number;
  /** Work it queues outlives the run (bcrypt jobs cannot be cancelled): after each run, wait until the server is idle. */
  drains?: boolean;
  /** A latency probe run alongside (the /healthz p99 during a login storm). */
  probe?: { label: string; path: string };
  /** Measured again at each size of the audit table (--scale): the pages and routes that read the tables that grow. */
  growth?: boolean;
  prepare(port: number, connections: number): Promise<LoadRequest & { counters?: () => Record<string, number> }>;
}

/** A login's (and raw bcrypt's) share of a counted run's requests. */
export const LOGIN_COUNT_SHARE = 0.1;

async function signedInCookies(port: number, account: BenchAccount = BENCH_USER): Promise<{ access: string; cookie: string }> {
  const { access_token: access } = await apiLogin(port, account);
  const accessPair = `${COOKIES.access}=${access}`;
  return { access, cookie: `${accessPair}; ${await csrfCookie(port, accessPair)}` };
}

function setCookieLines(headers: Record<string, string | string[]>): string[] {
  const value = headers['Set-Cookie'] ?? headers['set-cookie'];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * The silent refresh, as browsers whose access cookie has expired would do it: each request
 * carries only an unused refresh cookie (and the CSRF cookie), Gatehouse rotates it in place,
 * and the refresh cookie it sets back is what the next request sends. So every request pays
 * the full rotation (verify, claim the row, sign two tokens, insert the new row), and no token
 * is presented twice except after an autocannon timeout. REFRESH_REUSE_GRACE stays at its
 * default: it is used only to mint the starting tokens.
 */
async function refreshChain(port: number, connections: number) {
  const { cookie } = await signedInCookies(port);
  const csrf = cookie.split('; ')[1] ?? '';
  const pool = await freshRefreshTokens(port, connections);
  let last = pool[0] ?? '';
  let underflows = 0;
  let rotations = 0;
  return {
    path: '/me',
    setupRequest(request: { headers: Record<string, string> }) {
      const token = pool.pop();
      if (token === undefined) underflows += 1;
      request.headers = { ...request.headers, cookie: `${COOKIES.refresh}=${token ?? last}; ${csrf}` };
      return request;
    },
    onResponse(_status: number, _body: string, _context: unknown, headers: Record<string, string | string[]>) {
      for (const line of setCookieLines(headers)) {
        const pair = cookiePair(line, COOKIES.refresh);
        if (!pair) continue;
        last = pair.slice(COOKIES.refresh.length + 1);
        pool.push(last);
        rotations += 1;
      }
    },
    counters: () => ({ rotations, underflows }),
  };
}

/**
 * The API rotation, as a client holding many sign-ins would drive it: each request presents an
 * unused refresh token and the one it gets back goes to the pool for a later request. Twice as
 * many tokens as connections, so the requests cut off when a run ends cannot drain the pool.
 */
async function refreshApiChain(port: number, connections: number) {
  const pool = await freshRefreshTokens(port, connections * 2);
  let underflows = 0;
  let rotations = 0;
  return {
    method: 'POST' as const,
    path: '/api/auth/refresh',
    headers: { 'content-type': 'application/json' },
    setupRequest(request: { headers: Record<string, string>; body?: string }) {
      const token = pool.shift();
      if (token === undefined) underflows += 1;
      request.body = JSON.stringify({ refresh_token: token ?? '' });
      return request;
    },
    onResponse(status: number, body: string) {
      if (status !== 200) return;
      pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
      rotations += 1;
    },
    counters: () => ({ rotations, underflows }),
  };
}

/**
 * An admin page, signed in as the bench admin. `deep` names a page reached by its Next link:
 * the page before it is opened by number and its link followed, as an admin paging through does.
 */
function adminPage(key: TargetKey, label: string, path: string, deep?: number): GatehouseTarget {
  return {
    key,
    label,
    growth: true,
    async prepare(port) {
      const { cookie } = await signedInCookies(port, BENCH_ADMIN);
      if (deep === undefined) return { path, headers: { cookie } };
      const before = await getPage(port, `${path}${path.includes('?') ? '&' : '?'}page=${deep - 1}`, cookie);
      const next = nextLinkOf(before.html);
      if (!next) throw new Error(`${path}: page ${deep - 1} has no Next link (is the bench history missing?)`);
      return { path: next, headers: { cookie } };
    },
  };
}

export const GATEHOUSE_TARGETS: GatehouseTarget[] = [
  {
    key: 'me',
    label: 'GET /me (cookie)',
    growth: true,
    async prepare(port) {
      const { cookie } = await signedInCookies(port);
      return { path: '/me', headers: { cookie } };
    },
  },
  {
    // What a load generator sends from outside: the access cookie alone, no CSRF cookie, so
    // every answer carries the session's CSRF cookie again (see docs/performance.md).
    key: 'me-bare',
    label: 'GET /me (access cookie only)',
    async prepare(port) {
      const { access } = await signedInCookies(port);
      return { path: '/me', headers: { cookie: `${COOKIES.access}=${access}` } };
    },
  },
  {
    key: 'home',
    label: 'GET / (anonymous)',
    async prepare() {
      return { path: '/' };
    },
  },
  {
    key: 'api-me',
    label: 'GET /api/me (Bearer)',
    growth: true,
    async prepare(port) {
      const { access_token: access } = await apiLogin(port);
      return { path: '/api/me', headers: { authorization: `Bearer ${access}` } };
    },
  },
  {
    key: 'login',
    label: 'POST /api/auth/login',
    timeoutS: 60,
    drains: true,
    countShare: LOGIN_COUNT_SHARE,
    probe: { label: 'GET /healthz during login storm', path: '/healthz' },
    async prepare() {
      return {
        method: 'POST',
        path: '/api/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: BENCH_USER.username, password: BENCH_USER.password }),
      };
    },
  },
  {
    key: 'refresh',
    label: 'GET /me (silent refresh)',
    prepare: refreshChain,
  },
  {
    key: 'refresh-api',
    label: 'POST /api/auth/refresh (rotation)',
    growth: true,
    prepare: refreshApiChain,
  },
  adminPage('admin-search', 'GET /admin/users?q=grace. (search)', '/admin/users?q=grace.'),
  adminPage('admin-users-deep', 'GET /admin/users page 500 (Next link)', '/admin/users', 500),
  adminPage('admin-users-typed', 'GET /admin/users?page=500 (typed)', '/admin/users?page=500'),
  adminPage('audit-user', 'GET /admin/audit?user=bench_user', '/admin/audit?user=bench_user'),
  adminPage('audit-user-deep', 'GET /admin/audit?user=bench_user page 50 (Next link)', '/admin/audit?user=bench_user', 50),
  adminPage('audit-type', 'GET /admin/audit?event=login_failed', '/admin/audit?event=login_failed'),
  adminPage('audit-type-deep', 'GET /admin/audit?event=login_failed page 50 (Next link)', '/admin/audit?event=login_failed', 50),
  {
    key: 'me-sessions',
    label: 'GET /me/sessions (50 sessions)',
    growth: true,
    async prepare(port) {
      const { cookie } = await signedInCookies(port, BENCH_SESSIONS);
      return { path: '/me/sessions', headers: { cookie } };
    },
  },
];
