import request from 'supertest';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture } from '../helpers/factories';
import { auditEventsOf, errorEnvelope, fieldError, GENEROUS_LIMITS, userRow } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { linkIn, startSmtpServer, TestSmtp, tokenOf } from '../helpers/smtp';

const RESET = 'Reset your password';
const INVALID = 'This link is invalid, has expired or has already been used.';
const NEW_PASSWORD = 'a brand new passphrase for gatehouse';

let smtp: TestSmtp;
let t: TestApp;
beforeAll(async () => { smtp = await startSmtpServer(); });
afterAll(() => smtp.close());
beforeEach(async () => { t = await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url } }); });
afterEach(async () => {
  await t.app.services.outbox.drain();
  await t.close();
});

/** Asks for a reset link through the form, as a visitor would. */
async function forgot(email: string, browser = new Browser(t.app)) {
  return browser.submit('/auth/forgot', { email }, '/auth/forgot');
}

async function resetLinkFor(user: UserFixture): Promise<string> {
  expect((await forgot(user.email)).status).toBe(303);
  return linkIn(await smtp.next(user.email, RESET), '/auth/reset');
}

/** Opens the link and submits the form on it. */
async function followReset(link: string, password = NEW_PASSWORD, browser = new Browser(t.app)) {
  const page = await browser.get(link);
  if (page.status !== 200) return page;
  return browser.submit('/auth/reset', { token: tokenOf(link), new_password: password, password_confirmation: password });
}

/** Pages differ only in their CSRF token. */
const withoutCsrf = (html: string) => html.replace(/(name="_csrf" value=|name="csrf-token" content=)"[^"]*"/g, '$1""');

describe('GET and POST /auth/forgot', () => {
  it('answers a known and an unknown address identically: status, location and page, and mails only the account', async () => {
    const user = await createUser(t);
    const answers = [];
    for (const email of [user.email, 'no-such-account@example.test']) {
      const browser = new Browser(t.app);
      const res = await forgot(email, browser);
      const page = await browser.get(res.headers.location!);
      answers.push({ status: res.status, location: res.headers.location, body: res.text, pageStatus: page.status, page: withoutCsrf(page.text) });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ status: 303, location: '/auth/forgot/sent', pageStatus: 200 });
    expect(answers[0]!.page).toContain('If an account exists for that address, we’ve sent a link');

    await t.app.services.outbox.drain();
    expect(smtp.mailsTo(user.email).filter((mail) => mail.subject === RESET)).toHaveLength(1);
    expect(smtp.mailsTo('no-such-account@example.test')).toHaveLength(0);
    expect(await auditEventsOf(t, user.internalId)).toContain('password_reset_requested');
    expect(await auditEventsOf(t, null)).toContain('password_reset_requested');
  });

  it('answers the JSON API the same way for both: 202 and one message', async () => {
    const user = await createUser(t);
    const known = await request(t.app).post('/api/auth/forgot').send({ email: user.email });
    const unknown = await request(t.app).post('/api/auth/forgot').send({ email: 'nobody-api@example.test' });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    await smtp.next(user.email, RESET);
  });

  it('answers 422 at the field for a malformed address, known or not', async () => {
    const res = await forgot('not an address');
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'email')).toMatch(/valid email/);
  });

  it('is throttled per address (3 per 15 minutes) whether or not the account exists, with Retry-After', async () => {
    const user = await createUser(t);
    for (const email of [user.email, 'ghost@example.test']) {
      for (let i = 0; i < 3; i += 1) expect((await forgot(email)).status).toBe(303);
      const refused = await forgot(email);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
    t.clock.advance(15 * 60);
    expect((await forgot(user.email)).status).toBe(303);
  });

  it('is throttled per IP (10 per 15 minutes) across addresses', async () => {
    for (let i = 0; i < 10; i += 1) expect((await forgot(`someone-${i}@example.test`)).status).toBe(303);
    const refused = await forgot('someone-else@example.test');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
  });

  it('the login page links to it', async () => {
    const res = await request(t.app).get('/auth/login');
    expect(res.text).toContain('<a href="/auth/forgot">Forgot your password?</a>');
  });
});

describe('GET and POST /auth/reset', () => {
  it('sets the new password, bumps token_version, signs the user in and redirects to /me', async () => {
    const user = await createUser(t);
    const link = await resetLinkFor(user);
    const browser = new Browser(t.app);
    const form = await browser.get(link);
    expect(form.status).toBe(200);
    expect(form.headers['cache-control']).toBe('no-store');
    expect(form.text).toContain(`name="token" value="${tokenOf(link)}"`);

    const res = await browser.submit('/auth/reset', { token: tokenOf(link), new_password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/me');
    const me = await browser.get('/me');
    expect(me.status).toBe(200);
    expect(me.text).toContain('Your password has been changed');

    const row = await userRow(t, { id: user.internalId });
    expect(row.token_version).toBe(1);
    expect(Boolean(row.is_verified)).toBe(true); // the link proved the address
    expect(await auditEventsOf(t, user.internalId)).toEqual(expect.arrayContaining(['password_reset_requested', 'password_reset', 'logged_in']));
    expect((await new Browser(t.app).submit('/auth/login', { login: user.username, password: user.password })).status).toBe(401);
    expect((await new Browser(t.app).submit('/auth/login', { login: user.username, password: NEW_PASSWORD })).status).toBe(303);
    expect((await smtp.next(user.email, 'Your password was reset')).text).toContain('every device was signed out');
  });

  it('signs out every other session: another browser is bounced to login, an API refresh token is refused', async () => {
    const user = await createUser(t);
    const other = await signIn(t, user, 'Other device');
    expect((await other.get('/me')).status).toBe(200);
    const api = await apiLogin(t, user);

    await followReset(await resetLinkFor(user));
    const bounced = await other.get('/me');
    expect(bounced.status).toBe(303);
    expect(bounced.headers.location).toBe('/auth/login?next=%2Fme');
    expect((await request(t.app).get('/api/me').set('Authorization', `Bearer ${api.access_token}`)).status).toBe(401);
    expect((await request(t.app).post('/api/auth/refresh').send({ refresh_token: api.refresh_token })).status).toBe(401);
    const live = await t.db('refresh_sessions').where({ user_id: user.internalId }).whereNull('revoked_at');
    expect(new Set(live.map((row: { family_id: string }) => row.family_id)).size).toBe(1);
  });

  it('a used link answers 400 the second time', async () => {
    const user = await createUser(t);
    const link = await resetLinkFor(user);
    expect((await followReset(link)).status).toBe(303);
    const again = await new Browser(t.app).get(link);
    expect(again.status).toBe(400);
    expect(again.text).toContain(INVALID);
    const replay = await followReset(link, 'yet another passphrase here', new Browser(t.app));
    expect(replay.status).toBe(400);
  });

  it('a link older than one hour answers 400, on the page and on the form', async () => {
    const user = await createUser(t);
    const link = await resetLinkFor(user);
    const browser = new Browser(t.app);
    expect((await browser.get(link)).status).toBe(200);
    t.clock.advance(3601);
    expect((await browser.get(link)).status).toBe(400);
    const res = await browser.submit('/auth/reset', { token: tokenOf(link), new_password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD });
    expect(res.status).toBe(400);
    expect(res.text).toContain(INVALID);
    expect((await userRow(t, { id: user.internalId })).token_version).toBe(0);
  });

  it('only the newest link works: asking again voids the earlier one', async () => {
    const user = await createUser(t);
    const older = await resetLinkFor(user);
    const newer = await resetLinkFor(user);
    expect(newer).not.toBe(older);
    expect((await followReset(older)).status).toBe(400);
    expect((await followReset(newer)).status).toBe(303);
  });

  it('a link dies once the password changed by another route', async () => {
    const user = await createUser(t);
    const link = await resetLinkFor(user);
    const browser = await signIn(t, user);
    await browser.get('/me');
    const changed = await browser.submit('/me/password', { current_password: user.password, new_password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD });
    expect(changed.status).toBe(303);
    expect((await followReset(link, 'something else entirely 42')).status).toBe(400);
  });

  it('applies the password rules with 422 at the field, and the link still works afterwards', async () => {
    const user = await createUser(t);
    const link = await resetLinkFor(user);
    const browser = new Browser(t.app);
    await browser.get(link);
    const common = await browser.submit('/auth/reset', { token: tokenOf(link), new_password: 'password123', password_confirmation: 'password123' });
    expect(common.status).toBe(422);
    expect(fieldError(common.text, 'new_password')).toMatch(/commonly used/);
    expect(common.text).toContain(`name="token" value="${tokenOf(link)}"`);
    const sameAsName = await browser.submit('/auth/reset', { token: tokenOf(link), new_password: user.username, password_confirmation: user.username });
    expect(sameAsName.status).toBe(422);
    expect(fieldError(sameAsName.text, 'new_password')).toMatch(/username or email/);
    const mismatch = await browser.submit('/auth/reset', { token: tokenOf(link), new_password: NEW_PASSWORD, password_confirmation: 'different' });
    expect(mismatch.status).toBe(422);
    expect(fieldError(mismatch.text, 'password_confirmation')).toBe('The two passwords do not match.');
    expect((await followReset(link)).status).toBe(303);
  });

  it('sends nothing for a disabled account, and its earlier link stops working', async () => {
    const user = await createUser(t);
    const link = await resetLinkFor(user);
    await t.db('users').where({ id: user.internalId }).update({ is_active: false });
    t.clock.advance(60);
    expect((await forgot(user.email)).status).toBe(303);
    await t.app.services.outbox.drain();
    expect(smtp.mailsTo(user.email).filter((mail) => mail.subject === RESET)).toHaveLength(1);
    expect((await followReset(link)).status).toBe(400);
  });

  it('POST /api/auth/reset answers like login, and 400 invalid_link for a dead link', async () => {
    const user = await createUser(t);
    await request(t.app).post('/api/auth/forgot').send({ email: user.email });
    const token = tokenOf(linkIn(await smtp.next(user.email, RESET), '/auth/reset'));
    const res = await request(t.app).post('/api/auth/reset').send({ token, new_password: NEW_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', user: { id: user.id } });
    expect((await request(t.app).get('/api/me').set('Authorization', `Bearer ${res.body.access_token}`)).status).toBe(200);
    const again = await request(t.app).post('/api/auth/reset').send({ token, new_password: NEW_PASSWORD });
    expect(again.status).toBe(400);
    expect(errorEnvelope(again).code).toBe('invalid_link');
  });
});
