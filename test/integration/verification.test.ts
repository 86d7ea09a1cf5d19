import request from 'supertest';
import { Browser } from '../helpers/browser';
import { createUser, userInput } from '../helpers/factories';
import { auditEventsOf, errorEnvelope, GENEROUS_LIMITS, userRow } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { linkIn, startSmtpServer, TestSmtp } from '../helpers/smtp';

const CONFIRM = 'Confirm your email address';
const INVALID = 'This link is invalid, has expired or has already been used.';

let smtp: TestSmtp;
let t: TestApp;
beforeAll(async () => { smtp = await startSmtpServer(); });
afterAll(() => smtp.close());
beforeEach(async () => { t = await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url } }); });
afterEach(async () => {
  await t.app.services.outbox.drain();
  await t.close();
});

/** Registers through the form, as a person would; the browser ends up signed in on /me. */
async function registerInBrowser(overrides: Record<string, string> = {}) {
  const input = userInput(overrides);
  const browser = new Browser(t.app);
  const res = await browser.submit('/auth/register', { ...input, password_confirmation: input.password });
  expect(res.status).toBe(303);
  const row = await userRow(t, { username: input.username });
  return { input, browser, row };
}

describe('email verification after registration', () => {
  it('POST /auth/register sends a verification mail whose link, followed signed out, marks the address verified', async () => {
    const { input, browser, row } = await registerInBrowser({ first_name: 'Ada' });
    const me = await browser.get('/me');
    expect(me.text).toContain('<span class="badge badge-muted">unverified</span>');
    expect(me.text).toContain('Resend verification email');

    const mail = await smtp.next(input.email, CONFIRM);
    expect(mail.text).toContain('Hello Ada,');
    expect(mail.html).toContain('Confirm my email address');
    const link = linkIn(mail, '/auth/verify');
    expect(mail.text).toContain(`http://127.0.0.1:3000${link}`);

    const stranger = new Browser(t.app);
    const res = await stranger.get(link);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`Thank you: ${input.email} is confirmed.`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Boolean((await userRow(t, { id: row.id })).is_verified)).toBe(true);
    expect(await auditEventsOf(t, row.id)).toEqual(expect.arrayContaining(['registered', 'verification_sent', 'email_verified']));

    const after = await browser.get('/me');
    expect(after.text).not.toContain('unverified');
    expect(after.text).not.toContain('Resend verification email');
  });

  it('POST /api/auth/register sends the verification mail too', async () => {
    const input = userInput();
    const res = await request(t.app).post('/api/auth/register').send(input);
    expect(res.status).toBe(201);
    expect(res.body.is_verified).toBe(false);
    const mail = await smtp.next(input.email, CONFIRM);
    expect(linkIn(mail, '/auth/verify')).toMatch(/^\/auth\/verify\?token=[A-Za-z0-9_-]{43}$/);
  });

  it('stores only a SHA-256 of the token, never the token', async () => {
    const { input, row } = await registerInBrowser();
    const token = new URL(linkIn(await smtp.next(input.email, CONFIRM), '/auth/verify'), 'http://x').searchParams.get('token')!;
    const stored = await t.db('account_tokens').where({ user_id: row.id });
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('GET /auth/verify with a used link answers 400 with one message', async () => {
    const { input, row } = await registerInBrowser();
    const link = linkIn(await smtp.next(input.email, CONFIRM), '/auth/verify');
    expect((await request(t.app).get(link)).status).toBe(200);
    const again = await request(t.app).get(link);
    expect(again.status).toBe(400);
    expect(again.text).toContain(INVALID);
    expect((await auditEventsOf(t, row.id)).filter((event) => event === 'email_verified')).toHaveLength(1);
  });

  it('GET /auth/verify with a link older than 24 hours answers 400 and verifies nothing', async () => {
    const { input, row } = await registerInBrowser();
    const link = linkIn(await smtp.next(input.email, CONFIRM), '/auth/verify');
    t.clock.advance(24 * 3600 + 1);
    const res = await request(t.app).get(link);
    expect(res.status).toBe(400);
    expect(res.text).toContain(INVALID);
    expect(Boolean((await userRow(t, { id: row.id })).is_verified)).toBe(false);
  });

  it('GET /auth/verify with a missing, malformed or made-up token answers the same 400', async () => {
    for (const path of ['/auth/verify', '/auth/verify?token=abc', `/auth/verify?token=${'A'.repeat(43)}`, '/auth/verify?token=a&token=b']) {
      const res = await request(t.app).get(path);
      expect(res.status).toBe(400);
      expect(res.text).toContain(INVALID);
    }
  });
});

describe('POST /me/verification (resend)', () => {
  it('is throttled per user: once a minute, five an hour, with Retry-After; a new link voids the older one', async () => {
    const { input, browser, row } = await registerInBrowser();
    const first = linkIn(await smtp.next(input.email, CONFIRM), '/auth/verify');
    await browser.get('/me');

    const tooSoon = await browser.submit('/me/verification', {});
    expect(tooSoon.status).toBe(429);
    expect(Number(tooSoon.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(tooSoon.headers['retry-after'])).toBeLessThanOrEqual(60);

    for (let sent = 2; sent <= 5; sent += 1) {
      t.clock.advance(61);
      await browser.get('/me');
      const res = await browser.submit('/me/verification', {});
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/me');
      await smtp.next(input.email, CONFIRM);
    }
    t.clock.advance(61);
    await browser.get('/me');
    const sixth = await browser.submit('/me/verification', {});
    expect(sixth.status).toBe(429);
    // The first of the five was sent 4 × 61 s + 61 s ago: the hour frees up in under 55 minutes.
    expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(3600 - 5 * 61 + 1);
    expect(smtp.mailsTo(input.email).filter((mail) => mail.subject === CONFIRM)).toHaveLength(5);

    expect((await request(t.app).get(first)).status).toBe(400);
    t.clock.advance(3600);
    await browser.get('/me');
    expect((await browser.submit('/me/verification', {})).status).toBe(303);
    const newest = linkIn(await smtp.next(input.email, CONFIRM), '/auth/verify');
    expect((await request(t.app).get(newest)).status).toBe(200);
    expect((await auditEventsOf(t, row.id)).filter((event) => event === 'verification_sent')).toHaveLength(6);
  });

  it('answers a verified user with a note and sends nothing', async () => {
    const { input, browser } = await registerInBrowser();
    await request(t.app).get(linkIn(await smtp.next(input.email, CONFIRM), '/auth/verify'));
    await browser.get('/me');
    t.clock.advance(61);
    const res = await browser.submit('/me/verification', {});
    expect(res.status).toBe(303);
    expect((await browser.get('/me')).text).toContain('Your email address is already confirmed.');
    await t.app.services.outbox.drain();
    expect(smtp.mailsTo(input.email)).toHaveLength(1);
  });

  it('refuses a POST without a CSRF token', async () => {
    const { browser } = await registerInBrowser();
    const res = await browser.agent.post('/me/verification').type('form').send('');
    expect(res.status).toBe(403);
  });
});

describe('POST /auth/verify/resend (public form)', () => {
  it('answers every address the same and mails only an unverified account', async () => {
    const unverified = await createUser(t);
    const verified = await createUser(t);
    await t.db('users').where({ id: verified.internalId }).update({ is_verified: true });
    t.clock.advance(61);
    const answers = [];
    for (const email of [unverified.email, verified.email, 'nobody-here@example.test']) {
      const browser = new Browser(t.app);
      const res = await browser.submit('/auth/verify/resend', { email }, '/auth/verify/resend');
      answers.push({ status: res.status, location: res.headers.location, body: res.text });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ status: 303, location: '/auth/verify/sent' });
    await t.app.services.outbox.drain();
    expect(smtp.mailsTo(unverified.email).filter((mail) => mail.subject === CONFIRM)).toHaveLength(2);
    expect(smtp.mailsTo(verified.email).filter((mail) => mail.subject === CONFIRM)).toHaveLength(1);
    expect(smtp.mailsTo('nobody-here@example.test')).toHaveLength(0);
  });
});

describe('the JSON API', () => {
  it('POST /api/auth/verify confirms with the token from the mail, then answers 400 invalid_link', async () => {
    const user = await createUser(t);
    const token = new URL(linkIn(await smtp.next(user.email, CONFIRM), '/auth/verify'), 'http://x').searchParams.get('token');
    const res = await request(t.app).post('/api/auth/verify').send({ token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'verified', email: user.email });
    const again = await request(t.app).post('/api/auth/verify').send({ token });
    expect(again.status).toBe(400);
    expect(errorEnvelope(again).code).toBe('invalid_link');
    expect(errorEnvelope(await request(t.app).post('/api/auth/verify').send({ token: ['x'] })).code).toBe('invalid_link');
  });

  it('POST /api/auth/verify/resend answers 202 alike for every address; POST /api/me/verification is throttled', async () => {
    const user = await createUser(t);
    const known = await request(t.app).post('/api/auth/verify/resend').send({ email: user.email });
    const unknown = await request(t.app).post('/api/auth/verify/resend').send({ email: 'nobody-api@example.test' });
    expect(known.status).toBe(202);
    expect(unknown.body).toEqual(known.body);

    const { access_token: token } = (await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password })).body;
    const tooSoon = await request(t.app).post('/api/me/verification').set('Authorization', `Bearer ${token}`);
    expect(tooSoon.status).toBe(429);
    expect(errorEnvelope(tooSoon).code).toBe('too_many_requests');
    t.clock.advance(61);
    const sent = await request(t.app).post('/api/me/verification').set('Authorization', `Bearer ${token}`);
    expect(sent.status).toBe(202);
    await t.app.services.outbox.drain();
    expect(smtp.mailsTo(user.email).filter((mail) => mail.subject === CONFIRM)).toHaveLength(2);
  });
});

describe('REQUIRE_VERIFIED_EMAIL=true', () => {
  beforeEach(async () => {
    await t.close();
    t = await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url, REQUIRE_VERIFIED_EMAIL: 'true' } });
  });

  it('refuses an unverified account only after the right password, with a page offering a new link', async () => {
    const user = await createUser(t);
    const wrong = await new Browser(t.app).submit('/auth/login', { login: user.username, password: 'not the password at all' });
    const unknown = await new Browser(t.app).submit('/auth/login', { login: 'nobody_at_all', password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.text).toContain('Incorrect username or password');
    expect(wrong.text).not.toContain('Confirm your email');

    const browser = new Browser(t.app);
    const refused = await browser.submit('/auth/login', { login: user.username, password: user.password });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('Confirm your email address before you log in');
    expect(refused.text).toContain('action="/auth/verify/resend"');
    expect(refused.headers['set-cookie']?.toString() ?? '').not.toMatch(/access_token=[^;]/);
    expect(await auditEventsOf(t, user.internalId)).toContain('login_failed');

    t.clock.advance(61);
    const resent = await browser.submit('/auth/verify/resend', { email: user.email });
    expect(resent.status).toBe(303);
    await smtp.next(user.email, CONFIRM); // the one from registration
    const link = linkIn(await smtp.next(user.email, CONFIRM), '/auth/verify');
    expect((await browser.get(link)).status).toBe(200);

    const ok = await new Browser(t.app).submit('/auth/login', { login: user.username, password: user.password });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/me');
  });

  it('answers the API login with 403 email_not_verified after the right password, 401 otherwise', async () => {
    const user = await createUser(t);
    const wrong = await request(t.app).post('/api/auth/login').send({ login: user.username, password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    const refused = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
    expect(refused.status).toBe(403);
    expect(errorEnvelope(refused).code).toBe('email_not_verified');
    expect(refused.body.access_token).toBeUndefined();
  });

  it('registration creates the account and sends to the login page instead of signing in', async () => {
    const input = userInput();
    const browser = new Browser(t.app);
    const res = await browser.submit('/auth/register', { ...input, password_confirmation: input.password });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/auth/login');
    expect(res.headers['set-cookie']?.toString() ?? '').not.toMatch(/access_token=[^;]/);
    expect(await userRow(t, { username: input.username })).toBeDefined();
    const login = await browser.get('/auth/login');
    expect(login.text).toContain(`We have sent a confirmation link to ${input.email}`);
    await smtp.next(input.email, CONFIRM);
  });
});
