import request from 'supertest';
import { apiLogin, createUser, signIn } from '../helpers/factories';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import type { Browser } from '../helpers/browser';

let t: TestApp;
let browser: Browser;
beforeAll(async () => {
  t = await makeTestApp({ env: GENEROUS_LIMITS });
  browser = await signIn(t, await createUser(t));
});
afterAll(() => t.close());

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((part) => part.trim().split(/\s+/)).filter((words) => words[0]).map(([name, ...values]) => [name!, values]));
}

function expectSecurityHeaders(res: request.Response): void {
  const csp = res.headers['content-security-policy'];
  expect(csp).toEqual(expect.any(String));
  const policy = directives(String(csp));
  const scriptSources = policy.get('script-src') ?? policy.get('default-src');
  expect(scriptSources).toBeDefined();
  expect(scriptSources).not.toContain("'unsafe-inline'");
  expect(scriptSources).not.toContain("'unsafe-eval'");
  expect(scriptSources).not.toContain('*');
  expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
  expect(policy.get('object-src')).toEqual(["'none'"]);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toMatch(/^(no-referrer|same-origin|strict-origin|strict-origin-when-cross-origin)$/);
  expect(res.headers['x-powered-by']).toBeUndefined();
}

/** The CSP forbids inline script and style, so the markup must not rely on them. */
function expectNoInlineCode(html: string): void {
  for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\bsrc="\/[^"]+"/);
  expect(html).not.toMatch(/<style\b/);
  expect(html).not.toMatch(/\sstyle="/);
  expect(html).not.toMatch(/\son[a-z]+="/);
  expect(html).not.toMatch(/href="javascript:/i);
}

describe('security headers', () => {
  it.each(['/', '/auth/login', '/auth/register', '/auth/logout', '/no-such-page', '/me'])('on the anonymous page %s', async (path) => {
    const res = await request(t.app).get(path);
    expectSecurityHeaders(res);
    if (res.type === 'text/html') expectNoInlineCode(res.text);
  });

  it.each(['/', '/me', '/auth/logout', '/no-such-page'])('on the signed-in page %s', async (path) => {
    const res = await browser.get(path);
    expect(res.type).toBe('text/html');
    expectSecurityHeaders(res);
    expectNoInlineCode(res.text);
  });

  it.each(['/healthz', '/.well-known/jwks.json', '/api/me', '/api/nope', '/css/app.css', '/js/app.js'])('on %s', async (path) => {
    expectSecurityHeaders(await request(t.app).get(path));
  });

  it.each(['/healthz', '/.well-known/jwks.json'])('%s sets no cookie, even for a signed-in browser (it runs ahead of sessions and CSRF)', async (path) => {
    const res = await browser.get(path);
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('on a refused POST (403) and a failed form (422)', async () => {
    expectSecurityHeaders(await request(t.app).post('/auth/login').type('form').send({ login: 'x', password: 'y' }));
    await browser.get('/me');
    const res = await browser.submit('/me', { email: 'not an email' });
    expect(res.status).toBe(422);
    expectSecurityHeaders(res);
  });
});

describe('caching', () => {
  it.each(['/', '/auth/login', '/me', '/me/sessions', '/no-such-page'])('a browser keeps no copy of the signed-in page %s, and it has no ETag', async (path) => {
    const res = await browser.get(path);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.etag).toBeUndefined();
  });

  it.each(['/', '/auth/login', '/auth/register'])('nor of the anonymous page %s (its forms carry a CSRF token)', async (path) => {
    const res = await request(t.app).get(path);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('nor of an API answer that carries tokens or account details', async () => {
    const user = await createUser(t);
    const login = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
    expect(login.status).toBe(200);
    expect(login.headers['cache-control']).toBe('no-store');
    const { access_token: access, refresh_token: refresh } = await apiLogin(t, user);
    const me = await request(t.app).get('/api/me').set('Authorization', `Bearer ${access}`);
    expect(me.status).toBe(200);
    expect(me.headers['cache-control']).toBe('no-store');
    const refreshed = await request(t.app).post('/api/auth/refresh').send({ refresh_token: refresh });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers['cache-control']).toBe('no-store');
  });

  it('static files and the public keys may be cached', async () => {
    const css = await request(t.app).get('/css/app.css');
    expect(css.status).toBe(200);
    expect(css.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
    expect(css.headers.etag).toEqual(expect.any(String));
    const jwks = await request(t.app).get('/.well-known/jwks.json');
    expect(jwks.headers['cache-control']).toBe('public, max-age=60');
  });
});
