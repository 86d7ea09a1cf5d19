import request from 'supertest';
import { apiLogin, createUser, signIn } from '../helpers/factories';
import { makeTestApp, TestApp } from '../helpers/make-app';

/**
 * Express matches paths case-insensitively and ignores a trailing slash: the gates must be on
 * the routers, so every spelling of a protected path is either gated the same way or unknown.
 * The spellings an attacker tries: case, trailing slash, doubled slash, a ";param", percent-encoding.
 */
const PAGE_SPELLINGS = ['/ME', '/me/', '/Me', '/Me/Password', '/ME/sessions', '//me', '/me;x', '/%6De', '/%6de/', '/me/./', '/auth/../me'];
const API_SPELLINGS = ['/API/ME', '/api/me/', '/Api/Me', '//api/me', '/api//me', '/api/me;x', '/%61pi/me', '/api/%6De'];
const ADMIN_SPELLINGS = ['/ADMIN', '/admin/', '/Admin/Users', '/admin/USERS/', '//admin', '/admin;x', '/%61dmin', '/ADMIN/audit'];

describe('gates under other spellings of a path', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp();
  });
  afterAll(() => t.close());

  it.each(PAGE_SPELLINGS)('GET %s when signed out: sent to the login page or 404, never the page', async (path) => {
    const res = await request(t.app).get(path);
    expect([303, 404]).toContain(res.status);
    if (res.status === 303) expect(res.headers.location).toMatch(/^\/auth\/login/);
    expect(res.text).not.toMatch(/Your profile/);
  });

  it.each(PAGE_SPELLINGS)('POST %s when signed out: refused (403/303/404), nothing changed', async (path) => {
    const res = await request(t.app).post(path).type('form').send({ first_name: 'Mallory', current_password: 'x', new_password: 'y' });
    expect([303, 403, 404]).toContain(res.status);
    expect(await t.db('users').where({ first_name: 'Mallory' }).first()).toBeUndefined();
  });

  it.each(API_SPELLINGS)('GET %s without a token: 401 or 404, never the user', async (path) => {
    const res = await request(t.app).get(path);
    expect([401, 404]).toContain(res.status);
    // Spellings that are not /api at all (//api, %61pi) are unknown pages: a 404 page, not JSON.
    if (res.status === 401) expect(res.body).toEqual({ error: expect.objectContaining({ code: 'unauthenticated' }) });
    expect(res.text).not.toContain('"username"');
  });

  it.each(API_SPELLINGS)('PATCH %s without a token: 401/403/404, nothing changed', async (path) => {
    const res = await request(t.app).patch(path).send({ first_name: 'Mallory' });
    expect([401, 403, 404]).toContain(res.status);
    expect(await t.db('users').where({ first_name: 'Mallory' }).first()).toBeUndefined();
  });

  it.each(ADMIN_SPELLINGS)('GET %s as a signed-in reader: 403 or 404, never the admin page', async (path) => {
    const user = await createUser(t);
    const browser = await signIn(t, user);
    const res = await browser.get(path);
    expect([403, 404]).toContain(res.status);
  });

  it.each(['/API/ADMIN/USERS', '/api/admin/users/', '/Api/Admin/Users', '/api//admin/users'])('GET %s with a reader\'s token: 403 or 404', async (path) => {
    const user = await createUser(t);
    const { access_token: token } = await apiLogin(t, user);
    const res = await request(t.app).get(path).set('Authorization', `Bearer ${token}`);
    expect([403, 404]).toContain(res.status);
  });

  it('the gates are the same ones: /ME signed in shows the profile, like /me', async () => {
    const user = await createUser(t);
    const browser = await signIn(t, user);
    for (const path of ['/me', '/ME', '/me/']) {
      const res = await browser.get(path);
      expect(res.status).toBe(200);
      expect(res.text).toContain(user.username);
    }
  });
});
