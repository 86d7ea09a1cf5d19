import { BENCH_USER } from './fixture';

/** Cookie names when COOKIE_SECURE is on, as the bench always runs Gatehouse. */
export const COOKIES = {
  access: '__Host-access_token',
  refresh: '__Host-refresh_token',
  csrf: '__Host-gatehouse.csrf',
} as const;

export interface ApiTokens {
  access_token: string;
  refresh_token: string;
}

async function postJson(port: number, path: string, body: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export async function apiLogin(port: number): Promise<ApiTokens> {
  const res = await postJson(port, '/api/auth/login', { login: BENCH_USER.username, password: BENCH_USER.password });
  if (res.status !== 200) throw new Error(`bench login answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as ApiTokens;
}

/** `name=value` of a Set-Cookie line, or undefined. */
export function cookiePair(setCookie: string | undefined, name: string): string | undefined {
  if (!setCookie || !setCookie.startsWith(`${name}=`)) return undefined;
  const pair = setCookie.split(';', 1)[0] ?? '';
  return pair.length > name.length + 1 ? pair : undefined;
}

/** The CSRF cookie a browser would hold after its first page, so page requests look like a browser's. */
export async function csrfCookie(port: number, cookieHeader: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/me`, { headers: { cookie: cookieHeader }, redirect: 'manual' });
  await res.arrayBuffer();
  const pair = res.headers.getSetCookie().map((line) => cookiePair(line, COOKIES.csrf)).find(Boolean);
  if (res.status !== 200 || !pair) throw new Error(`GET /me answered ${res.status} without a CSRF cookie`);
  return pair;
}

/**
 * Unused refresh tokens of one sign-in: the first API refresh claims the login's token, the
 * next ones present it again within REFRESH_REUSE_GRACE and each get a fresh, unused pair.
 */
export async function freshRefreshTokens(port: number, count: number): Promise<string[]> {
  const { refresh_token: seed } = await apiLogin(port);
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const res = await postJson(port, '/api/auth/refresh', { refresh_token: seed });
    if (res.status !== 200) throw new Error(`bench refresh answered ${res.status}: ${await res.text()}`);
    tokens.push(((await res.json()) as ApiTokens).refresh_token);
  }
  return tokens;
}
