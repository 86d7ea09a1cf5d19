import request from 'supertest';
import { createUser, signIn, UserFixture } from '../helpers/factories';
import { auditEventsOf, fieldError, GENEROUS_LIMITS, setCookie } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import type { Browser } from '../helpers/browser';

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

async function signedIn(): Promise<{ user: UserFixture; browser: Browser }> {
  const user = await createUser(t);
  const browser = await signIn(t, user);
  await browser.get('/me');
  return { user, browser };
}

const NEW_PASSWORD = 'a brand new passphrase for me';
const apiLoginStatus = async (login: string, password: string) =>
  (await request(t.app).post('/api/auth/login').send({ login, password })).status;

describe('POST /me/password', () => {
  it('with the right current password: 303 to /me with a flash, the new password works and the old one not', async () => {
    const { user, browser } = await signedIn();
    const res = await browser.submit('/me/password', { current_password: user.password, new_password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/me');
    expect(setCookie(res, 'access_token')?.value).toBeTruthy();
    expect((await browser.get('/me')).text).toContain('Password changed');
    expect(await auditEventsOf(t, user.internalId)).toContain('password_changed');
    expect(await apiLoginStatus(user.username, NEW_PASSWORD)).toBe(200);
    expect(await apiLoginStatus(user.username, user.password)).toBe(401);
  });

  it('with a wrong current password: 422 at that field, and nothing changes', async () => {
    const { user, browser } = await signedIn();
    const res = await browser.submit('/me/password', { current_password: 'not my password', new_password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'password_current_password')).toBe('Your current password is not correct.');
    expect(res.text).not.toContain(NEW_PASSWORD);
    expect(await apiLoginStatus(user.username, user.password)).toBe(200);
  });

  it.each([
    ['a common password', 'password123', /commonly used passwords/],
    ['a short password', 'short', /at least 8 characters/],
  ])('with %s as the new one: 422 at new_password, saying why', async (_name, password, message) => {
    const { user, browser } = await signedIn();
    const res = await browser.submit('/me/password', { current_password: user.password, new_password: password, password_confirmation: password });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'new_password')).toMatch(message);
  });

  it('with the username as the new one: 422 at new_password', async () => {
    const { user, browser } = await signedIn();
    const password = user.username.toUpperCase();
    const res = await browser.submit('/me/password', { current_password: user.password, new_password: password, password_confirmation: password });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'new_password')).toMatch(/not be your username or email/);
  });

  it('with a confirmation that differs: 422 at password_confirmation', async () => {
    const { user, browser } = await signedIn();
    const res = await browser.submit('/me/password', { current_password: user.password, new_password: NEW_PASSWORD, password_confirmation: `${NEW_PASSWORD}!` });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'password_confirmation')).toBe('The two passwords do not match.');
  });
});
