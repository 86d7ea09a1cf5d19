import { Browser } from '../helpers/browser';
import { createUser, UserFixture } from '../helpers/factories';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { OPEN_REDIRECT_ATTEMPTS } from '../helpers/redirects';

let t: TestApp;
let user: UserFixture;
beforeAll(async () => {
  t = await makeTestApp({ env: GENEROUS_LIMITS });
  user = await createUser(t);
});
afterAll(() => t.close());

function landsOnSite(location: string): boolean {
  return new URL(location, 'http://127.0.0.1').origin === 'http://127.0.0.1';
}

describe('the next parameter of the login form', () => {
  it('sends the user back to the page they first asked for', async () => {
    const browser = new Browser(t.app);
    const first = await browser.get('/me');
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/auth/login?next=%2Fme');
    const form = await browser.get(String(first.headers.location));
    expect(form.text).toContain('<input type="hidden" name="next" value="/me">');
    const res = await browser.submit('/auth/login', { login: user.username, password: user.password, next: '/me' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/me');
  });

  it('keeps a local path with its query string', async () => {
    const res = await new Browser(t.app).submit('/auth/login', { login: user.username, password: user.password, next: '/auth/logout?from=nav' });
    expect(res.headers.location).toBe('/auth/logout?from=nav');
  });

  it.each(OPEN_REDIRECT_ATTEMPTS)('given %j, the login redirects to a path on this site', async (next) => {
    const res = await new Browser(t.app).submit('/auth/login', { login: user.username, password: user.password, next });
    expect(res.status).toBe(303);
    const location = String(res.headers.location);
    expect(location.startsWith('/')).toBe(true);
    expect(location.startsWith('//')).toBe(false);
    expect(location).not.toMatch(/^\/\\|^\/[\t\n\r]/);
    expect(landsOnSite(location)).toBe(true);
  });

  it.each(OPEN_REDIRECT_ATTEMPTS)('given %j in the query, the login page does not carry it in the form', async (next) => {
    const page = await new Browser(t.app).get(`/auth/login?next=${encodeURIComponent(next)}`);
    const carried = /<input type="hidden" name="next" value="([^"]*)">/.exec(page.text)?.[1] ?? '';
    if (carried !== '') expect(landsOnSite(carried.replace(/&amp;/g, '&'))).toBe(true);
    expect(carried.startsWith('//')).toBe(false);
  });

  it('does not carry a protected URL crafted to resolve to //evil.test into next', async () => {
    const res = await new Browser(t.app).get('/me/..//evil.test');
    expect(res.status).toBe(303);
    const next = new URL(String(res.headers.location), 'http://127.0.0.1').searchParams.get('next');
    if (next !== null) expect(landsOnSite(next)).toBe(true);
    expect(next?.startsWith('//') ?? false).toBe(false);
  });

  it('refuses a repeated next field with 422 rather than guessing', async () => {
    const browser = new Browser(t.app);
    await browser.get('/auth/login');
    const body = `login=${user.username}&password=${encodeURIComponent(user.password)}&next=%2Fme&next=%2F%2Fevil.test`;
    const res = await browser.submit('/auth/login', body);
    expect(res.status).toBe(422);
  });
});
