import express from 'express';
import request from 'supertest';
import { ACCOUNT_FAILURE_CEILING, accountKey, createRateLimits } from '../../src/middleware/rate-limit';
import { Browser } from '../helpers/browser';
import { createUser, signIn, userInput, UserFixture } from '../helpers/factories';
import { loadConfig, ROOT_DIR } from '../../src/config/env';
import { makeTestApp, TEST_ENV, TestApp } from '../helpers/make-app';

/** Behind a trusted proxy on loopback, X-Forwarded-For names the client: one test, many addresses. */
const BEHIND_PROXY = { TRUST_PROXY: 'loopback' };

function apiLogin(t: TestApp, login: string, password: string, ip?: string) {
  const req = request(t.app).post('/api/auth/login');
  if (ip) req.set('X-Forwarded-For', ip);
  return req.send({ login, password });
}

function apiRegister(t: TestApp, fields: Record<string, string>, ip?: string) {
  const req = request(t.app).post('/api/auth/register');
  if (ip) req.set('X-Forwarded-For', ip);
  return req.send(fields);
}

async function failLogins(t: TestApp, login: string, times: number, ip?: string) {
  for (let i = 0; i < times; i += 1) {
    const res = await apiLogin(t, login, 'wrong password, certainly', ip);
    expect(res.status).toBe(401);
  }
}

function expectThrottled(res: request.Response) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  return retryAfter;
}

async function loginFailuresRecorded(t: TestApp): Promise<number> {
  const row = await t.db('audit_events').where({ event: 'login_failed' }).count({ n: '*' }).first();
  return Number(row?.n);
}

describe('login throttling per account and IP', () => {
  let t: TestApp;
  let user: UserFixture;
  beforeEach(async () => {
    t = await makeTestApp({ env: BEHIND_PROXY });
    user = await createUser(t);
  });
  afterEach(() => t.close());

  it('POST /api/auth/login, after RATE_LIMIT_LOGIN_PER_ACCOUNT failures from one IP, answers 429 with Retry-After and the JSON envelope', async () => {
    await failLogins(t, user.username, 10, '198.51.100.1');
    const res = await apiLogin(t, user.username, user.password, '198.51.100.1');
    const retryAfter = expectThrottled(res);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(res.body).toEqual({ error: { code: 'too_many_requests', message: expect.stringMatching(/too many attempts/i) } });
    // The refused attempt never reached the password check.
    expect(await loginFailuresRecorded(t)).toBe(10);
  });

  it('POST /api/auth/login, while one IP is throttled for an account, lets the right password in from another IP', async () => {
    await failLogins(t, user.username, 11 - 1, '198.51.100.1');
    expectThrottled(await apiLogin(t, user.username, 'still guessing', '198.51.100.1'));
    const res = await apiLogin(t, user.username, user.password, '203.0.113.7');
    expect(res.status).toBe(200);
    expect(res.body.user.username).toBe(user.username);
  });

  it('POST /api/auth/login counts only failures: successful logins in between do not use up the allowance', async () => {
    for (let i = 0; i < 12; i += 1) expect((await apiLogin(t, user.username, user.password, '198.51.100.2')).status).toBe(200);
    await failLogins(t, user.username, 10, '198.51.100.2');
    expectThrottled(await apiLogin(t, user.username, 'wrong again', '198.51.100.2'));
  });

  it('POST /api/auth/login does not count validation failures (422) against the account', async () => {
    for (let i = 0; i < 12; i += 1) {
      expect((await apiLogin(t, user.username, '', '198.51.100.3')).status).toBe(422);
    }
    expect((await apiLogin(t, user.username, user.password, '198.51.100.3')).status).toBe(200);
  });

  it('keys the account case-, width- and space-insensitively, so spelling variants share one counter', async () => {
    const upper = user.username.toUpperCase();
    const fullwidth = [...user.username].map((c) => (/[a-z0-9]/i.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
    const variants = [upper, ` ${user.username} `, fullwidth, `${user.username.slice(0, 2)}\u200b${user.username.slice(2)}`];
    for (const variant of variants) expect(accountKey({ login: variant })).toBe(accountKey({ login: user.username }));
    // Width and zero-width variants are not even a login (422, not ASCII): only real guesses count.
    for (const variant of variants.slice(2)) expect((await apiLogin(t, variant, 'nope nope nope', '198.51.100.4')).status).toBe(422);
    for (let i = 0; i < 10; i += 1) {
      const res = await apiLogin(t, variants[i % 2] as string, 'nope nope nope', '198.51.100.4');
      expect(res.status).toBe(401);
    }
    expectThrottled(await apiLogin(t, user.username, 'nope nope nope', '198.51.100.4'));
  });

  it('never keys on a non-string login: arrays and objects get 422 and are not an account', async () => {
    expect(accountKey({ login: ['a', 'b'] })).toBeUndefined();
    expect(accountKey({ login: { $ne: '' } })).toBeUndefined();
    expect(accountKey({ login: '   ' })).toBeUndefined();
    const res = await request(t.app).post('/api/auth/login').send({ login: [user.username], password: 'x' });
    expect(res.status).toBe(422);
  });

  it('throttles an unknown name exactly as a real account, so a 429 says nothing about whether the account exists', async () => {
    await failLogins(t, user.username, 10, '198.51.100.5');
    await failLogins(t, 'nobody_by_this_name', 10, '198.51.100.5');
    const real = await apiLogin(t, user.username, 'x-wrong-x', '198.51.100.5');
    const unknown = await apiLogin(t, 'nobody_by_this_name', 'x-wrong-x', '198.51.100.5');
    expect(real.status).toBe(429);
    expect(unknown.status).toBe(429);
    expect(unknown.body).toEqual(real.body);
    expect(Math.abs(Number(unknown.headers['retry-after']) - Number(real.headers['retry-after']))).toBeLessThanOrEqual(2);
  });

  it('throttles a disabled account like any other: its right password is a failure, and the answers match', async () => {
    const disabled = await createUser(t, { roles: { is_active: false } });
    const res = await apiLogin(t, disabled.username, disabled.password, '198.51.100.6');
    const wrong = await apiLogin(t, user.username, 'wrong-password-here', '198.51.100.6');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(wrong.body);
    await failLogins(t, disabled.username, 9, '198.51.100.6');
    expectThrottled(await apiLogin(t, disabled.username, disabled.password, '198.51.100.6'));
  });

  it('opens again when the 15-minute window has passed', async () => {
    await failLogins(t, user.username, 10, '198.51.100.8');
    expectThrottled(await apiLogin(t, user.username, user.password, '198.51.100.8'));
    const later = Date.now() + 16 * 60 * 1000;
    const spy = jest.spyOn(Date, 'now').mockImplementation(() => later);
    try {
      expect((await apiLogin(t, user.username, user.password, '198.51.100.8')).status).toBe(200);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('login throttling on the form', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('POST /auth/login, past the limit, answers the 429 error page with Retry-After and no account detail', async () => {
    t = await makeTestApp({ env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: '3' } });
    const user = await createUser(t);
    const browser = new Browser(t.app);
    for (let i = 0; i < 3; i += 1) {
      expect((await browser.submit('/auth/login', { login: user.username, password: 'wrong-password' })).status).toBe(401);
    }
    const res = await browser.submit('/auth/login', { login: user.username, password: user.password });
    const retryAfter = expectThrottled(res);
    expect(res.type).toBe('text/html');
    expect(res.text).toMatch(/Too many attempts/);
    const minutes = Math.ceil(retryAfter / 60);
    expect(res.text).toContain(`You can try again in ${minutes} minute${minutes > 1 ? 's' : ''}.`);
    expect(res.text).not.toContain(user.username);
    expect(browser.cookie('access_token')).toBeUndefined();
  });

  it('shares the counter between the form and the API', async () => {
    t = await makeTestApp({ env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: '4' } });
    const user = await createUser(t);
    const browser = new Browser(t.app);
    await failLogins(t, user.username, 2);
    for (let i = 0; i < 2; i += 1) await browser.submit('/auth/login', { login: user.username, password: 'wrong-password' });
    expectThrottled(await browser.submit('/auth/login', { login: user.username, password: 'wrong-password' }));
  });
});

describe('all auth attempts per IP', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp({ env: { ...BEHIND_PROXY, RATE_LIMIT_AUTH_PER_IP: '5' } });
  });
  afterEach(() => t.close());

  it('counts logins and registrations together, whatever their outcome, and answers 429 past RATE_LIMIT_AUTH_PER_IP', async () => {
    const user = await createUser(t);
    expect((await apiLogin(t, user.username, user.password, '192.0.2.10')).status).toBe(200);
    expect((await apiLogin(t, 'someone_else', 'wrong-password', '192.0.2.10')).status).toBe(401);
    expect((await apiRegister(t, userInput(), '192.0.2.10')).status).toBe(201);
    expect((await apiRegister(t, { username: 'x' }, '192.0.2.10')).status).toBe(422);
    expect((await apiLogin(t, 'third_name', 'wrong-password', '192.0.2.10')).status).toBe(401);
    expectThrottled(await apiRegister(t, userInput(), '192.0.2.10'));
    expectThrottled(await apiLogin(t, user.username, user.password, '192.0.2.10'));
    expect((await apiLogin(t, user.username, user.password, '192.0.2.11')).status).toBe(200);
  });
});

describe('registration per IP', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp({ env: { ...BEHIND_PROXY, RATE_LIMIT_REGISTER_PER_IP: '2' } });
  });
  afterEach(() => t.close());

  it('POST /api/auth/register allows RATE_LIMIT_REGISTER_PER_IP new accounts per IP per hour, then 429 with no row written', async () => {
    expect((await apiRegister(t, userInput(), '192.0.2.20')).status).toBe(201);
    expect((await apiRegister(t, { ...userInput(), password: 'short' }, '192.0.2.20')).status).toBe(422); // refused: not counted
    expect((await apiRegister(t, userInput(), '192.0.2.20')).status).toBe(201);
    const before = await t.db('users').count({ n: '*' }).first();
    const input = userInput();
    const res = await apiRegister(t, input, '192.0.2.20');
    expectThrottled(res);
    expect(res.body.error.code).toBe('too_many_requests');
    expect(await t.db('users').where({ username: input.username }).first()).toBeUndefined();
    expect(await t.db('users').count({ n: '*' }).first()).toEqual(before);
    expect((await apiRegister(t, userInput(), '192.0.2.21')).status).toBe(201);
  });

  it('POST /auth/register (the form) shares the per-IP count and answers the 429 page', async () => {
    const register = () => {
      const input = userInput();
      return new Browser(t.app).submit('/auth/register', { ...input, password_confirmation: input.password });
    };
    expect((await register()).status).toBe(303);
    expect((await register()).status).toBe(303);
    const res = await register();
    expectThrottled(res);
    expect(res.text).toMatch(/Too many attempts/);
  });
});

describe('the per-account ceiling across all IPs (distributed guessing)', () => {
  let t: TestApp;
  let user: UserFixture;
  beforeAll(async () => {
    t = await makeTestApp({ env: { ...BEHIND_PROXY, RATE_LIMIT_AUTH_PER_IP: '1000' } });
    user = await createUser(t);
    // 100 failures from 20 addresses, 5 each: under every per-IP limit.
    for (let ip = 0; ip < ACCOUNT_FAILURE_CEILING / 5; ip += 1) await failLogins(t, user.username, 5, `10.0.0.${ip + 1}`);
  });
  afterAll(() => t.close());

  it('refuses the IPs that have already failed for the account, even with the right password', async () => {
    expectThrottled(await apiLogin(t, user.username, 'guess 101', '10.0.0.1'));
    expectThrottled(await apiLogin(t, user.username, user.password, '10.0.0.20'));
  });

  it('still lets the right password in from an IP that has not been failing: the owner is never locked out', async () => {
    const res = await apiLogin(t, user.username, user.password, '172.16.5.5');
    expect(res.status).toBe(200);
  });

  it('gives a new IP one guess only: its first failure is a 401, its next attempt a 429', async () => {
    expect((await apiLogin(t, user.username, 'one more guess', '172.16.9.9')).status).toBe(401);
    expectThrottled(await apiLogin(t, user.username, user.password, '172.16.9.9'));
  });

  it('leaves other accounts alone', async () => {
    const other = await createUser(t);
    expect((await apiLogin(t, other.username, other.password, '10.0.0.1')).status).toBe(200);
  });
});

describe('TRUST_PROXY and X-Forwarded-For', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('with TRUST_PROXY off, a spoofed X-Forwarded-For changes nothing: every attempt counts against the real address', async () => {
    t = await makeTestApp({ env: { TRUST_PROXY: 'off' } });
    const user = await createUser(t);
    for (let i = 0; i < 10; i += 1) {
      expect((await apiLogin(t, user.username, 'wrong-password', `203.0.113.${i + 1}`)).status).toBe(401);
    }
    expectThrottled(await apiLogin(t, user.username, user.password, '203.0.113.99'));
    const ips = await t.db('audit_events').where({ event: 'login_failed' }).distinct('ip');
    expect(ips.map((row: { ip: string }) => row.ip)).toEqual([expect.stringMatching(/127\.0\.0\.1$/)]);
  });

  it('with TRUST_PROXY on, the address the proxy forwards is the client: counters and audit rows follow it', async () => {
    t = await makeTestApp({ env: BEHIND_PROXY });
    const user = await createUser(t);
    await failLogins(t, user.username, 10, '203.0.113.50');
    expectThrottled(await apiLogin(t, user.username, user.password, '203.0.113.50'));
    expect((await apiLogin(t, user.username, user.password, '203.0.113.51')).status).toBe(200);
    const ips = await t.db('audit_events').where({ event: 'login_failed' }).distinct('ip');
    expect(ips.map((row: { ip: string }) => row.ip)).toEqual(['203.0.113.50']);
  });

  it('with TRUST_PROXY=1 (one hop), only the last forwarded address counts: a client cannot prepend its own', async () => {
    t = await makeTestApp({ env: { TRUST_PROXY: '1' } });
    const user = await createUser(t);
    for (let i = 0; i < 10; i += 1) {
      const res = await apiLogin(t, user.username, 'wrong-password', `6.6.6.${i}, 203.0.113.60`);
      expect(res.status).toBe(401);
    }
    expectThrottled(await apiLogin(t, user.username, user.password, '7.7.7.7, 203.0.113.60'));
  });
});

describe('current-password checks of a signed-in user', () => {
  let t: TestApp;
  afterEach(() => t.close());
  it('after 10 wrong current passwords on /me/password, /me and PATCH /api/me the user gets 429; another user is unaffected', async () => {
    t = await makeTestApp();
    const user = await createUser(t);
    const other = await createUser(t);
    const thief = await signIn(t, user);
    await thief.get('/me');
    const change = { new_password: 'a brand new passphrase', password_confirmation: 'a brand new passphrase' };
    for (let i = 0; i < 4; i += 1) expect((await thief.submit('/me/password', { current_password: `guess ${i}`, ...change })).status).toBe(422);
    for (let i = 0; i < 3; i += 1) expect((await thief.submit('/me', { email: 'new@example.test', current_password: `guess ${i}` })).status).toBe(422);
    const { access_token: bearer } = (await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password })).body;
    for (let i = 0; i < 3; i += 1) {
      const res = await request(t.app).patch('/api/me').set('Authorization', `Bearer ${bearer}`).send({ email: 'new@example.test', current_password: `guess ${i}` });
      expect(res.status).toBe(422);
    }
    expectThrottled(await thief.submit('/me/password', { current_password: user.password, ...change }));
    expect(await t.app.services.passwords.verify(user.password, (await t.db('users').where({ id: user.internalId }).first()).password_hash)).toBe(true);
    const victim = await signIn(t, other);
    await victim.get('/me');
    expect((await victim.submit('/me/password', { current_password: 'wrong', ...change })).status).toBe(422);
  });

  it('profile edits that do not give a current password are not counted', async () => {
    t = await makeTestApp();
    const user = await createUser(t);
    const browser = await signIn(t, user);
    await browser.get('/me');
    for (let i = 0; i < 12; i += 1) expect((await browser.submit('/me', { first_name: `Name ${i}`, email: user.email, current_password: '' })).status).toBe(303);
  });
});

describe('REDIS_URL', () => {
  const load = (value: string) => loadConfig({ ...TEST_ENV, REDIS_URL: value }, ROOT_DIR, { requireKeyFiles: false });

  it.each(['redis://127.0.0.1:6379', 'rediss://cache.internal:6380/2', 'redis://:secret@127.0.0.1:6379'])('accepts %s', (url) => {
    expect(load(url).redis.url).toBe(url);
  });

  it.each(['http://127.0.0.1:6379', '127.0.0.1:6379', 'redis://', 'not a url'])('refuses %s, naming the variable', (url) => {
    expect(() => load(url)).toThrow(/REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
  });

  it('is optional: counters stay in memory without it', () => {
    expect(loadConfig(TEST_ENV, ROOT_DIR, { requireKeyFiles: false }).redis.url).toBeUndefined();
  });
});
