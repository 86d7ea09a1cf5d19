import * as Users from '../../src/models/user.model';
import { Browser } from '../helpers/browser';
import { createUser, signIn } from '../helpers/factories';
import { auditEventsOf, GENEROUS_LIMITS, inputValue, setCookie, userRow } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

const GENERIC = 'Incorrect username or password';

async function submitLogin(fields: Record<string, string>) {
  return new Browser(t.app).submit('/auth/login', fields);
}

/** The one message of a failed login form, as the user sees it. */
function formError(html: string): string | undefined {
  return /<p class="error-summary-title">([^<]*)<\/p>/.exec(html)?.[1];
}

describe('POST /auth/login', () => {
  it.each([
    ['the username', (u: { username: string }) => u.username],
    ['the username in another case', (u: { username: string }) => u.username.toUpperCase()],
    ['the email', (u: { email: string }) => u.email],
    ['the email in another case, with spaces around', (u: { email: string }) => `  ${u.email.toUpperCase()} `],
  ])('by %s sets both cookies, 303 to /me, writes logged_in and last_login_at', async (_how, login) => {
    const user = await createUser(t);
    const res = await submitLogin({ login: login(user), password: user.password });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/me');
    expect(setCookie(res, 'access_token')?.value).toBeTruthy();
    expect(setCookie(res, 'refresh_token')?.value).toBeTruthy();
    expect(await auditEventsOf(t, user.internalId)).toEqual(expect.arrayContaining(['logged_in']));
    expect(Users.toUserRow(await userRow(t, { id: user.internalId })).last_login_at).toEqual(t.clock.now());
  });

  it('signs the browser in: /me shows the user afterwards', async () => {
    const user = await createUser(t);
    const browser = await signIn(t, user);
    const me = await browser.get('/me');
    expect(me.status).toBe(200);
    expect(me.text).toContain(`@${user.username}`);
  });

  it('for an unknown user answers 401 with the one message, keeps the login and not the password', async () => {
    const res = await submitLogin({ login: 'nobody_here', password: 'Typed-But-Secret-9431' });
    expect(res.status).toBe(401);
    expect(formError(res.text)).toBe(GENERIC);
    expect(inputValue(res.text, 'login')).toBe('nobody_here');
    expect(res.text).not.toContain('Typed-But-Secret-9431');
    expect(setCookie(res, 'access_token')).toBeUndefined();
  });

  it('for a wrong password answers the same 401 and the same message, and writes login_failed', async () => {
    const user = await createUser(t);
    const res = await submitLogin({ login: user.username, password: `${user.password}!` });
    expect(res.status).toBe(401);
    expect(formError(res.text)).toBe(GENERIC);
    expect(res.text).not.toContain('That username');
    expect(await auditEventsOf(t, user.internalId)).toContain('login_failed');
  });

  it('for a disabled account with the right password answers the same 401', async () => {
    const user = await createUser(t, { roles: { is_active: false } });
    const res = await submitLogin({ login: user.username, password: user.password });
    expect(res.status).toBe(401);
    expect(formError(res.text)).toBe(GENERIC);
    expect(setCookie(res, 'access_token')).toBeUndefined();
    expect(await auditEventsOf(t, user.internalId)).not.toContain('logged_in');
  });

  it('records a failed login for an unknown user without a user', async () => {
    const before = (await auditEventsOf(t, null)).filter((event) => event === 'login_failed').length;
    await submitLogin({ login: 'ghost_user_x', password: 'whatever-password' });
    expect((await auditEventsOf(t, null)).filter((event) => event === 'login_failed')).toHaveLength(before + 1);
  });

  it('answers 422 with messages at the fields when they are empty', async () => {
    const res = await submitLogin({ login: '  ', password: '' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Enter username or email.');
    expect(res.text).toContain('Enter password.');
  });
});

describe('GET /auth/login', () => {
  it('shows the form with a CSRF token and the next path, and sends a signed-in user to /me', async () => {
    const browser = new Browser(t.app);
    const page = await browser.get('/auth/login?next=%2Fme%3Ftab%3D1');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<input type="hidden" name="_csrf" value="[^"]+">/);
    expect(page.text).toContain('<input type="hidden" name="next" value="/me?tab=1">');

    const user = await createUser(t);
    const signedIn = await signIn(t, user);
    const again = await signedIn.get('/auth/login');
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/me');
  });
});
