import request from 'supertest';
import { Browser, csrfFrom } from '../helpers/browser';
import { apiLogin, createUser, signIn } from '../helpers/factories';
import { auditEventsOf, csrfOfForm, formsPostingTo, GENEROUS_LIMITS, isCleared, setCookie } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

/** A signed-in browser that has loaded a page since, as a user clicking "Log out" has. */
async function signedInBrowser() {
  const user = await createUser(t);
  const browser = await signIn(t, user);
  await browser.get('/me');
  return { user, browser, refresh: browser.cookie('refresh_token')!, access: browser.cookie('access_token')! };
}

const refreshWith = (token: string) => request(t.app).post('/api/auth/refresh').send({ refresh_token: token });

describe('POST /auth/logout', () => {
  it('clears both cookies, 303 to /auth/login, writes logged_out and kills the refresh token', async () => {
    const { user, browser, refresh } = await signedInBrowser();
    const res = await browser.submit('/auth/logout', {});
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/auth/login');
    expect(isCleared(setCookie(res, 'access_token'))).toBe(true);
    expect(isCleared(setCookie(res, 'refresh_token'))).toBe(true);
    expect(setCookie(res, 'access_token')?.attributes.path).toBe('/');
    expect(await auditEventsOf(t, user.internalId)).toContain('logged_out');

    const refreshed = await refreshWith(refresh);
    expect(refreshed.status).toBe(401);
    const login = await browser.get('/auth/login');
    expect(login.text).toContain('Logged out. See you next time.');
  });

  it('kills the access token of that session at once, not at its expiry', async () => {
    const { browser, access } = await signedInBrowser();
    await browser.submit('/auth/logout', {});
    const res = await request(t.app).get('/me').set('Cookie', `access_token=${access}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/auth/login?next=%2Fme');
  });

  it('still ends the session when the access token has expired and only the refresh cookie is valid', async () => {
    const { user, browser, refresh } = await signedInBrowser();
    t.clock.advance(t.config.jwt.accessTtlSeconds + 5);
    const res = await browser.submit('/auth/logout', {});
    expect(res.status).toBe(303);
    expect(await auditEventsOf(t, user.internalId)).toContain('logged_out');
    expect((await refreshWith(refresh)).status).toBe(401);
    expect((await browser.get('/me')).status).toBe(303);
  });

  it('leaves the user\'s other sessions alone', async () => {
    const { user, browser } = await signedInBrowser();
    const other = await apiLogin(t, user);
    await browser.submit('/auth/logout', {});
    expect((await refreshWith(other.refresh_token)).status).toBe(200);
  });

  it('without a CSRF token answers 403 and logs nobody out', async () => {
    const { browser, refresh } = await signedInBrowser();
    const res = await browser.agent.post('/auth/logout').type('form').send('');
    expect(res.status).toBe(403);
    expect((await refreshWith(refresh)).status).toBe(200);
  });
});

describe('GET /auth/logout', () => {
  it('shows a signed-in user a page with the Log out button in a POST form with a CSRF token', async () => {
    const { browser } = await signedInBrowser();
    const res = await browser.get('/auth/logout');
    expect(res.status).toBe(200);
    const forms = formsPostingTo(res.text, '/auth/logout');
    expect(forms.length).toBeGreaterThanOrEqual(2); // the page's own, and the navigation's
    for (const form of forms) {
      expect(csrfOfForm(form)).toBe(csrfFrom(res.text));
      expect(form).toMatch(/<button type="submit"[^>]*>Log out<\/button>/);
    }
    expect(setCookie(res, 'access_token')).toBeUndefined();
  });

  it('tells an anonymous visitor they are not signed in', async () => {
    const res = await new Browser(t.app).get('/auth/logout');
    expect(res.status).toBe(200);
    expect(res.text).toContain('You are not signed in');
    expect(formsPostingTo(res.text, '/auth/logout')).toEqual([]);
  });
});

describe('the navigation', () => {
  /** The navigation's log-out form: a POST form whose button reads "Log out", inside the <nav>. */
  function navLogout(html: string): string | undefined {
    const nav = /<nav\b[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
    return formsPostingTo(nav, '/auth/logout').find((form) => /<button type="submit"[^>]*>Log out<\/button>/.test(form));
  }

  it.each(['/', '/me', '/auth/logout', '/no-such-page'])('on %s shows "Log out" as a POST form carrying the page\'s CSRF token', async (path) => {
    const { browser } = await signedInBrowser();
    const res = await browser.get(path);
    const form = navLogout(res.text);
    expect(form).toBeDefined();
    expect(csrfOfForm(form!)).toBe(csrfFrom(res.text));
  });

  it('the nav form really logs out', async () => {
    const { browser, refresh } = await signedInBrowser();
    const page = await browser.get('/');
    const token = csrfOfForm(navLogout(page.text)!);
    const res = await browser.agent.post('/auth/logout').type('form').send({ _csrf: token });
    expect(res.status).toBe(303);
    expect((await refreshWith(refresh)).status).toBe(401);
  });

  it.each(['/', '/auth/login', '/no-such-page'])('on %s shows no "Log out" to an anonymous visitor', async (path) => {
    const res = await new Browser(t.app).get(path);
    expect(res.text).not.toContain('action="/auth/logout"');
    expect(res.text).toContain('href="/auth/login"');
  });
});

describe('POST /api/auth/logout', () => {
  it('revokes the refresh token: 204, logged_out, and the token no longer refreshes', async () => {
    const user = await createUser(t);
    const tokens = await apiLogin(t, user);
    const res = await request(t.app).post('/api/auth/logout').send({ refresh_token: tokens.refresh_token });
    expect(res.status).toBe(204);
    expect(await auditEventsOf(t, user.internalId)).toContain('logged_out');
    expect((await refreshWith(tokens.refresh_token)).status).toBe(401);
  });

  it('answers 204 for a token that is already dead or was never ours', async () => {
    expect((await request(t.app).post('/api/auth/logout').send({ refresh_token: 'not.a.token' })).status).toBe(204);
  });
});
