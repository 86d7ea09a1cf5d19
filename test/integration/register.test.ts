import { Browser } from '../helpers/browser';
import { createUser, userInput } from '../helpers/factories';
import { auditEventsOf, countRows, fieldError, GENEROUS_LIMITS, inputValue, setCookie, userRow } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

function registration(overrides: Record<string, string> = {}) {
  const input = userInput();
  return { ...input, password_confirmation: input.password, first_name: 'Ada', ...overrides };
}

describe('POST /auth/register', () => {
  it('creates the account, signs in, answers 303 to /me and welcomes the user there', async () => {
    const browser = new Browser(t.app);
    const fields = registration();
    const res = await browser.submit('/auth/register', fields);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/me');
    expect(setCookie(res, 'access_token')?.value).toMatch(/^ey/);
    expect(setCookie(res, 'refresh_token')?.value).toMatch(/^ey/);

    const me = await browser.get('/me');
    expect(me.status).toBe(200);
    expect(me.text).toContain('Welcome, Ada!');
    expect(me.text).toContain(fields.username);

    const row = await userRow(t, { username: fields.username });
    expect(row).toMatchObject({ email: fields.email, first_name: 'Ada', second_name: null });
    const events = await auditEventsOf(t, row.id);
    expect(events.filter((event) => ['registered', 'logged_in'].includes(event))).toEqual(['registered', 'logged_in']);
  });

  it('stores the email lower-case', async () => {
    const fields = registration();
    const res = await new Browser(t.app).submit('/auth/register', { ...fields, email: fields.email.toUpperCase() });
    expect(res.status).toBe(303);
    expect((await userRow(t, { username: fields.username })).email).toBe(fields.email.toLowerCase());
  });

  it('when the username is taken in another case, answers 409 with a message at the field and keeps the values', async () => {
    const existing = await createUser(t, { username: `alice_${Date.now()}` });
    const fields = registration({ username: existing.username.toUpperCase() });
    const res = await new Browser(t.app).submit('/auth/register', fields);
    expect(res.status).toBe(409);
    expect(fieldError(res.text, 'username')).toBe('That username is already taken.');
    expect(fieldError(res.text, 'email')).toBeUndefined();
    expect(inputValue(res.text, 'username')).toBe(fields.username);
    expect(inputValue(res.text, 'email')).toBe(fields.email);
    expect(await countRows(t.db('users').whereRaw('lower(username) = ?', [existing.username.toLowerCase()]))).toBe(1);
  });

  it('when the email is taken in another case, answers 409 with a message at the field', async () => {
    const existing = await createUser(t, { email: `a_${Date.now()}@x.test` });
    const res = await new Browser(t.app).submit('/auth/register', registration({ email: existing.email.toUpperCase() }));
    expect(res.status).toBe(409);
    expect(fieldError(res.text, 'email')).toBe('An account with that email address already exists.');
  });

  it('when fields are invalid, answers 422 with a message at each field, the values kept and the password never echoed', async () => {
    const typed = 'Typed-But-Secret-9431';
    const res = await new Browser(t.app).submit('/auth/register', {
      username: 'no spaces allowed', email: 'not-an-email', password: typed, password_confirmation: `${typed}x`, first_name: 'Grace',
    });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'username')).toMatch(/3 to 32 characters/);
    expect(fieldError(res.text, 'email')).toMatch(/valid email/);
    expect(fieldError(res.text, 'password_confirmation')).toBe('The two passwords do not match.');
    expect(inputValue(res.text, 'username')).toBe('no spaces allowed');
    expect(inputValue(res.text, 'first_name')).toBe('Grace');
    expect(inputValue(res.text, 'password')).toBe('');
    expect(res.text).not.toContain(typed);
    expect(res.text).toMatch(/<meta name="csrf-token" content="[^"]+">/);
  });

  it.each([
    ['a common password', 'password123', /commonly used passwords/],
    ['a short password', 'Xk3!zq9', /at least 8 characters/],
  ])('with %s, answers 422 and says why at the password field', async (_name, password, message) => {
    const res = await new Browser(t.app).submit('/auth/register', registration({ password, password_confirmation: password }));
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'password')).toMatch(message);
  });

  it('refuses the username as the password, in any case', async () => {
    const fields = registration();
    const password = fields.username.toUpperCase();
    const res = await new Browser(t.app).submit('/auth/register', { ...fields, password, password_confirmation: password });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'password')).toMatch(/not be your username or email/);
  });

  it('ignores is_admin, is_author, is_active, token_version, id and public_id (no mass assignment)', async () => {
    const fields = registration();
    const res = await new Browser(t.app).submit('/auth/register', {
      ...fields, is_admin: '1', is_author: 'true', is_active: '0', is_verified: '1', token_version: '42', id: '9999',
      public_id: '00000000-0000-4000-8000-000000000000', password_hash: '$2b$04$abcdefghijklmnopqrstuu',
    });
    expect(res.status).toBe(303);
    const row = await userRow(t, { username: fields.username });
    expect(row).toMatchObject({ token_version: 0 });
    expect(Boolean(row.is_admin)).toBe(false);
    expect(Boolean(row.is_author)).toBe(false);
    expect(Boolean(row.is_active)).toBe(true);
    expect(Boolean(row.is_verified)).toBe(false);
    expect(row.id).not.toBe(9999);
    expect(row.public_id).not.toBe('00000000-0000-4000-8000-000000000000');
    expect(row.password_hash).not.toBe('$2b$04$abcdefghijklmnopqrstuu');
  });

  it('GET /auth/register shows the form with a CSRF token; a signed-in user is sent to /me', async () => {
    const browser = new Browser(t.app);
    const page = await browser.get('/auth/register');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<input type="hidden" name="_csrf" value="[^"]+">/);
    await browser.submit('/auth/register', registration());
    const again = await browser.get('/auth/register');
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/me');
  });
});
