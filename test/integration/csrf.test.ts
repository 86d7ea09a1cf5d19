import request from 'supertest';
import { Browser, csrfFrom } from '../helpers/browser';
import { createUser, DEFAULT_PASSWORD, signIn, userInput } from '../helpers/factories';
import { GENEROUS_LIMITS, parseSetCookies } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

async function signedIn() {
  const user = await createUser(t);
  const browser = await signIn(t, user);
  await browser.get('/me');
  return { user, browser };
}

/** Valid fields for each state-changing form, so that only the CSRF token can be wrong. */
const FORMS: [string, string, (user: { email: string; password: string }) => Record<string, string>, boolean][] = [
  ['/auth/register', '/auth/register', () => { const u = userInput(); return { ...u, password_confirmation: u.password }; }, false],
  ['/auth/login', '/auth/login', () => ({ login: 'someone', password: DEFAULT_PASSWORD }), false],
  ['/auth/logout', '/me', () => ({}), true],
  ['/me', '/me', (user) => ({ first_name: 'Changed', email: user.email }), true],
  ['/me/password', '/me', (user) => ({ current_password: user.password, new_password: 'a brand new passphrase', password_confirmation: 'a brand new passphrase' }), true],
];

async function browserFor(signedInForm: boolean, page: string) {
  if (signedInForm) return signedIn();
  const browser = new Browser(t.app);
  await browser.get(page);
  return { user: { email: 'x@example.test', password: DEFAULT_PASSWORD }, browser };
}

function expectRefused(res: request.Response): void {
  expect(res.status).toBe(403);
  expect(res.type).toBe('text/html');
  expect(parseSetCookies(res).filter((cookie) => cookie.name.endsWith('access_token') && cookie.value !== '')).toEqual([]);
}

describe.each(FORMS)('POST %s', (path, page, fields, needsUser) => {
  it('without a CSRF token answers 403', async () => {
    const { user, browser } = await browserFor(needsUser, page);
    expectRefused(await browser.agent.post(path).type('form').send(fields(user)));
  });

  it('with a token from another browser answers 403', async () => {
    const { user, browser } = await browserFor(needsUser, page);
    const { browser: other } = await browserFor(needsUser, page);
    expectRefused(await browser.agent.post(path).type('form').send({ ...fields(user), _csrf: other.csrf! }));
  });

  it('with a valid token but Origin from another host answers 403', async () => {
    const { user, browser } = await browserFor(needsUser, page);
    expectRefused(await browser.agent.post(path).type('form').set('Origin', 'https://evil.test').send({ ...fields(user), _csrf: browser.csrf! }));
  });

  it('with a valid token but Sec-Fetch-Site: cross-site answers 403', async () => {
    const { user, browser } = await browserFor(needsUser, page);
    expectRefused(await browser.agent.post(path).type('form').set('Sec-Fetch-Site', 'cross-site').send({ ...fields(user), _csrf: browser.csrf! }));
  });

  it('(control) with the page\'s token, same-origin headers, is not refused', async () => {
    const { user, browser } = await browserFor(needsUser, page);
    const res = await browser.agent.post(path).type('form')
      .set('Host', 'gatehouse.test').set('Origin', 'http://gatehouse.test').set('Sec-Fetch-Site', 'same-origin')
      .send({ ...fields(user), _csrf: browser.csrf! });
    expect(res.status).not.toBe(403);
  });
});

describe('a CSRF token is bound to its sign-in', () => {
  it('another user\'s token and CSRF cookie together are refused with 403', async () => {
    const alice = await signedIn();
    const bob = await signedIn();
    const res = await request(t.app).post('/me').type('form')
      .set('Cookie', `access_token=${bob.browser.cookie('access_token')}; gatehouse.csrf=${encodeURIComponent(alice.browser.cookie('gatehouse.csrf')!)}`)
      .send({ first_name: 'Hijacked', email: bob.user.email, _csrf: alice.browser.csrf! });
    expect(res.status).toBe(403);
    expect((await t.db('users').where({ id: bob.user.internalId }).first()).first_name).toBeNull();
  });

  it('the token issued before signing in no longer works after', async () => {
    const user = await createUser(t);
    const browser = new Browser(t.app);
    await browser.get('/auth/login');
    const anonymousToken = browser.csrf!;
    await browser.submit('/auth/login', { login: user.username, password: user.password });
    const res = await browser.agent.post('/me').type('form').send({ first_name: 'Late', email: user.email, _csrf: anonymousToken });
    expect(res.status).toBe(403);
  });
});

describe('the page\'s token', () => {
  const csrfCookies = (res: request.Response) => parseSetCookies(res).filter((cookie) => cookie.name.endsWith('gatehouse.csrf'));

  it('is the browser\'s own CSRF cookie while that is valid for the sign-in, and the cookie is not set again', async () => {
    const { browser } = await signedIn();
    const held = browser.cookie('gatehouse.csrf')!;
    for (const path of ['/me', '/me/sessions', '/me']) {
      const page = await browser.get(path);
      expect(csrfFrom(page.text)).toBe(held);
      expect(csrfCookies(page)).toEqual([]);
    }
  });

  it('is a new one, with a new cookie, when the cookie held is altered or belongs to another sign-in', async () => {
    const alice = await signedIn();
    const bob = await signedIn();
    const aliceCsrf = alice.browser.cookie('gatehouse.csrf')!;
    const [hmac = '', random = ''] = aliceCsrf.split('.');
    const altered = `${hmac.slice(0, -1)}${hmac.endsWith('0') ? '1' : '0'}.${random}`;
    for (const presented of [aliceCsrf, altered, 'not-a-token']) {
      const page = await request(t.app).get('/me')
        .set('Cookie', `access_token=${bob.browser.cookie('access_token')}; gatehouse.csrf=${encodeURIComponent(presented)}`);
      expect(page.status).toBe(200);
      const issued = csrfCookies(page).map((cookie) => cookie.value);
      expect(issued).toHaveLength(1);
      expect(issued[0]).not.toBe(presented);
      expect(csrfFrom(page.text)).toBe(issued[0]);
    }
  });

  it('for a sign-in whose request carries no CSRF cookie is the token that sign-in was given, with its cookie again, and it is accepted', async () => {
    const { browser } = await signedIn();
    const held = browser.cookie('gatehouse.csrf')!;
    const access = `access_token=${browser.cookie('access_token')}`;
    for (let i = 0; i < 2; i += 1) {
      const page = await request(t.app).get('/me').set('Cookie', access);
      expect(csrfFrom(page.text)).toBe(held);
      expect(csrfCookies(page).map((cookie) => cookie.value)).toEqual([held]);
    }
    const res = await request(t.app).post('/me/sessions/revoke-others').set('Cookie', `${access}; gatehouse.csrf=${held}`).type('form').send({ _csrf: held });
    expect(res.status).toBe(303);
    const other = await signedIn();
    const page = await request(t.app).get('/me').set('Cookie', `access_token=${other.browser.cookie('access_token')}`);
    expect(csrfFrom(page.text)).not.toBe(held);
  });

  it('for anonymous visitors without the cookie is a new one every time', async () => {
    const tokens = [];
    for (let i = 0; i < 2; i += 1) tokens.push(csrfFrom((await request(t.app).get('/auth/login')).text));
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it('after signing in is a new one, with a new cookie, even though the anonymous one was valid before', async () => {
    const user = await createUser(t);
    const browser = new Browser(t.app);
    await browser.get('/auth/login');
    const anonymous = browser.cookie('gatehouse.csrf')!;
    expect(csrfCookies(await browser.get('/auth/login'))).toEqual([]);
    await browser.submit('/auth/login', { login: user.username, password: user.password });
    const page = await browser.get('/me');
    expect(csrfFrom(page.text)).not.toBe(anonymous);
    expect(browser.cookie('gatehouse.csrf')).toBe(csrfFrom(page.text));
  });
});

describe('cookie-authenticated API writes', () => {
  it('PATCH /api/me without X-CSRF-Token answers 403 with the JSON envelope', async () => {
    const { browser } = await signedIn();
    const res = await browser.agent.patch('/api/me').send({ first_name: 'Nope' });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'csrf_invalid' });
  });

  it('PATCH /api/me with X-CSRF-Token from the page\'s <meta name="csrf-token"> answers 200', async () => {
    const { browser } = await signedIn();
    const token = csrfFrom((await browser.get('/')).text)!;
    const res = await browser.agent.patch('/api/me').set('X-CSRF-Token', token).send({ first_name: 'Yes' });
    expect(res.status).toBe(200);
    expect(res.body.first_name).toBe('Yes');
  });

  it('PATCH /api/me with a Bearer token needs no CSRF token', async () => {
    const user = await createUser(t);
    const login = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
    const res = await request(t.app).patch('/api/me').set('Authorization', `Bearer ${login.body.access_token}`).send({ first_name: 'Bearer' });
    expect(res.status).toBe(200);
  });

  it('a Bearer header does not excuse a cookie-riding request from another site: it is judged by the token alone', async () => {
    const { browser } = await signedIn();
    const res = await browser.agent.patch('/api/me').set('Authorization', 'Bearer forged').send({ first_name: 'Nope' });
    expect(res.status).toBe(401);
  });
});
