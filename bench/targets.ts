import { BENCH_USER } from './lib/fixture';
import { apiLogin, COOKIES, cookiePair, csrfCookie, freshRefreshTokens } from './lib/client';
import type { LoadRequest } from './lib/load';
import type { TargetKey } from './lib/args';

/** A Gatehouse target: `prepare` runs before every repetition and returns what autocannon sends. */
export interface GatehouseTarget {
  key: TargetKey;
  label: string;
  timeoutS?: number;
  /** A latency probe run alongside (the /healthz p99 during a login storm). */
  probe?: { label: string; path: string };
  prepare(port: number, connections: number): Promise<LoadRequest & { counters?: () => Record<string, number> }>;
}

async function signedInCookies(port: number): Promise<{ access: string; cookie: string }> {
  const { access_token: access } = await apiLogin(port);
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

export const GATEHOUSE_TARGETS: GatehouseTarget[] = [
  {
    key: 'me',
    label: 'GET /me (cookie)',
    async prepare(port) {
      const { cookie } = await signedInCookies(port);
      return { path: '/me', headers: { cookie } };
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
    async prepare(port) {
      const { access_token: access } = await apiLogin(port);
      return { path: '/api/me', headers: { authorization: `Bearer ${access}` } };
    },
  },
  {
    key: 'login',
    label: 'POST /api/auth/login',
    timeoutS: 60,
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
];
