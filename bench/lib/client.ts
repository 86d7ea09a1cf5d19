import { BenchAccount, BENCH_USER } from './fixture';

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

export async function apiLogin(port: number, account: BenchAccount = BENCH_USER): Promise<ApiTokens> {
  const res = await postJson(port, '/api/auth/login', { login: account.username, password: account.password });
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
  return (await getPage(port, '/me', cookieHeader)).csrf;
}

/** A page as a signed-in browser gets it: its HTML and the CSRF cookie it sets, if any. */
export async function getPage(port: number, path: string, cookieHeader: string): Promise<{ html: string; csrf: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { cookie: cookieHeader }, redirect: 'manual' });
  const html = await res.text();
  const pair = res.headers.getSetCookie().map((line) => cookiePair(line, COOKIES.csrf)).find(Boolean);
  if (res.status !== 200 || (!pair && !cookieHeader.includes(COOKIES.csrf))) throw new Error(`GET ${path} answered ${res.status} without a CSRF cookie`);
  return { html, csrf: pair ?? '' };
}

/** Where a page's Next link leads (the cursor a deep page is reached by). */
export function nextLinkOf(html: string): string | undefined {
  return /href="([^"]+)" rel="next"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
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
