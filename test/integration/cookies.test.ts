import request from 'supertest';
import { Browser, csrfFrom } from '../helpers/browser';
import { createUser, userInput } from '../helpers/factories';
import { GENEROUS_LIMITS, parseSetCookies, SetCookie, setCookie } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

/** `maxAge` null: a browser-session cookie (the login form without "Remember me"). */
function expectAuthCookie(cookie: SetCookie | undefined, maxAge: number | null, secure: boolean): void {
  expect(cookie).toBeDefined();
  const { attributes } = cookie!;
  expect(attributes.httponly).toBe(true);
  expect(attributes.samesite).toBe('Lax');
  expect(attributes.path).toBe('/');
  expect(attributes.domain).toBeUndefined();
  expect(attributes['max-age']).toBe(maxAge === null ? undefined : String(maxAge));
  if (maxAge === null) expect(attributes.expires).toBeUndefined();
  expect(attributes.secure).toBe(secure ? true : undefined);
}

describe('auth cookies with the default settings', () => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
  afterAll(() => t.close());

  it('on login with "Remember me": access_token and refresh_token, HttpOnly, SameSite=Lax, Path=/, no Domain, not Secure, Max-Age = TTL', async () => {
    const user = await createUser(t);
    const res = await new Browser(t.app).submit('/auth/login', { login: user.username, password: user.password, remember: '1' });
    expect(res.status).toBe(303);
    expectAuthCookie(setCookie(res, 'access_token'), 900, false);
    expectAuthCookie(setCookie(res, 'refresh_token'), 7 * 86400, false);
  });

  it('on login without it: the same access cookie, and the refresh cookie as a browser-session cookie (no Max-Age, no Expires)', async () => {
    const user = await createUser(t);
    const res = await new Browser(t.app).submit('/auth/login', { login: user.username, password: user.password });
    expect(res.status).toBe(303);
    expectAuthCookie(setCookie(res, 'access_token'), 900, false);
    expectAuthCookie(setCookie(res, 'refresh_token'), null, false);
  });

  it.each(['on', 'true', 'YES'])('a box ticked as %p counts as ticked', async (value) => {
    const user = await createUser(t);
    const res = await new Browser(t.app).submit('/auth/login', { login: user.username, password: user.password, remember: value });
    expectAuthCookie(setCookie(res, 'refresh_token'), 7 * 86400, false);
  });

  it('on registration: the same two cookies', async () => {
    const input = userInput();
    const res = await new Browser(t.app).submit('/auth/register', { ...input, password_confirmation: input.password });
    expect(res.status).toBe(303);
    expectAuthCookie(setCookie(res, 'access_token'), 900, false);
    expectAuthCookie(setCookie(res, 'refresh_token'), 7 * 86400, false);
  });
});

describe('auth cookies with ACCESS_TOKEN_TTL=5m and REFRESH_TOKEN_TTL=2d', () => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp({ env: { ...GENEROUS_LIMITS, ACCESS_TOKEN_TTL: '5m', REFRESH_TOKEN_TTL: '2d' } }); });
  afterAll(() => t.close());

  it('carry Max-Age equal to those lifetimes', async () => {
    const user = await createUser(t);
    const res = await new Browser(t.app).submit('/auth/login', { login: user.username, password: user.password, remember: '1' });
    expectAuthCookie(setCookie(res, 'access_token'), 300, false);
    expectAuthCookie(setCookie(res, 'refresh_token'), 2 * 86400, false);
  });
});

describe('auth cookies with COOKIE_SECURE=true', () => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp({ env: { ...GENEROUS_LIMITS, COOKIE_SECURE: 'true' } }); });
  afterAll(() => t.close());

  /** The test agent keeps Secure cookies to itself over http, so the form's cookie is carried by hand. */
  async function secureLogin(login: string, password: string) {
    const page = await request(t.app).get('/auth/login');
    const csrfCookie = parseSetCookies(page).find((cookie) => cookie.name.endsWith('gatehouse.csrf'));
    expect(csrfCookie?.name).toBe('__Host-gatehouse.csrf');
    return request(t.app).post('/auth/login').type('form')
      .set('Cookie', `${csrfCookie!.name}=${encodeURIComponent(csrfCookie!.value)}`)
      .send({ _csrf: csrfFrom(page.text), login, password, remember: '1' });
  }

  it('names them __Host-access_token and __Host-refresh_token and marks them Secure', async () => {
    const user = await createUser(t);
    const res = await secureLogin(user.username, user.password);
    expect(res.status).toBe(303);
    expectAuthCookie(setCookie(res, '__Host-access_token'), 900, true);
    expectAuthCookie(setCookie(res, '__Host-refresh_token'), 7 * 86400, true);
    expect(setCookie(res, 'access_token')).toBeUndefined();
  });

  it('sets no cookie without Secure, and every __Host- cookie with Path=/ and no Domain', async () => {
    const user = await createUser(t);
    const res = await secureLogin(user.username, user.password);
    const cookies = parseSetCookies(res);
    expect(cookies.length).toBeGreaterThanOrEqual(2);
    for (const cookie of cookies) {
      expect(cookie.attributes.secure).toBe(true);
      if (cookie.name.startsWith('__Host-')) {
        expect(cookie.attributes.path).toBe('/');
        expect(cookie.attributes.domain).toBeUndefined();
      }
    }
  });

  it('reads the __Host- cookie back on the next request, and ignores an unprefixed one', async () => {
    const user = await createUser(t);
    const access = setCookie(await secureLogin(user.username, user.password), '__Host-access_token')!.value;
    const signedIn = await request(t.app).get('/me').set('Cookie', `__Host-access_token=${access}`);
    expect(signedIn.status).toBe(200);
    const unprefixed = await request(t.app).get('/me').set('Cookie', `access_token=${access}`);
    expect(unprefixed.status).toBe(303);
  });
});
