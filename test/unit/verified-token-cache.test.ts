import request from 'supertest';
import { loadConfig, ROOT_DIR } from '../../src/config/env';
import { createVerifiedTokenCache } from '../../src/lib/verified-token-cache';
import * as Users from '../../src/models/user.model';
import { createTokenService, TokenError } from '../../src/services/token.service';
import { apiLogin, createUser, UserFixture } from '../helpers/factories';
import { createTestClock, makeTestApp, TEST_ENV, TestApp, testKeys } from '../helpers/make-app';

const claimsUntil = (exp: number, sub = 'someone') => ({ sub, exp });

describe('the verified-token cache', () => {
  test('serves a token it holds while now < exp, and drops it at exp', () => {
    const cache = createVerifiedTokenCache<{ sub: string; exp: number }>(10);
    cache.set('token-a', claimsUntil(1000));
    expect(cache.get('token-a', 999)).toEqual({ sub: 'someone', exp: 1000 });
    expect(cache.get('token-a', 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.get('token-a', 10)).toBeUndefined();
  });

  test('answers only for the exact token string', () => {
    const cache = createVerifiedTokenCache<{ sub: string; exp: number }>(10);
    cache.set('header.payload.signature', claimsUntil(1000));
    expect(cache.get('header.payload.signaturE', 1)).toBeUndefined();
    expect(cache.get('header.payload.signature ', 1)).toBeUndefined();
    expect(cache.get('header.payload.signature', 1)).toBeDefined();
  });

  test('holds at most maxEntries tokens, dropping the least recently used first', () => {
    const cache = createVerifiedTokenCache<{ sub: string; exp: number }>(3);
    for (const name of ['a', 'b', 'c']) cache.set(name, claimsUntil(1000, name));
    expect(cache.get('a', 1)?.sub).toBe('a'); // a is now the most recently used
    cache.set('d', claimsUntil(1000, 'd'));
    expect(cache.size).toBe(3);
    expect(cache.get('b', 1)).toBeUndefined();
    expect(['a', 'c', 'd'].map((name) => cache.get(name, 1)?.sub)).toEqual(['a', 'c', 'd']);
    for (let i = 0; i < 1000; i += 1) cache.set(`flood-${i}`, claimsUntil(1000));
    expect(cache.size).toBe(3);
  });

  test('with room for no entries it holds nothing', () => {
    const cache = createVerifiedTokenCache<{ sub: string; exp: number }>(0);
    cache.set('token', claimsUntil(1000));
    expect(cache.size).toBe(0);
    expect(cache.get('token', 1)).toBeUndefined();
  });

  test('freezes the claims it holds, so no request can change what the next one is served', () => {
    const cache = createVerifiedTokenCache<{ sub: string; exp: number }>(10);
    cache.set('token', claimsUntil(1000));
    const claims = cache.get('token', 1)!;
    expect(Object.isFrozen(claims)).toBe(true);
    expect(() => { (claims as { sub: string }).sub = 'admin'; }).toThrow(TypeError);
  });
});

describe('verifyAccessToken with the verified-token cache', () => {
  const config = loadConfig({ ...TEST_ENV }, ROOT_DIR, { requireKeyFiles: false });
  const keys = testKeys('RS256');
  const subject = { public_id: '0b7a3c52-4a4e-4c38-9a53-0f7f3c1d2e11', username: 'alice', is_reader: true, is_author: false, is_admin: false, token_version: 0 };
  const family = '6f1c2d3e-0000-4000-8000-000000000001';

  function reasonOf(verify: () => unknown): string {
    try {
      verify();
    } catch (error) {
      expect(error).toBeInstanceOf(TokenError);
      return (error as TokenError).reason;
    }
    return 'accepted';
  }

  test('serves a token verified before from the cache, and still refuses any altered copy of it', () => {
    const tokens = createTokenService(config.jwt, keys, createTestClock());
    const { token } = tokens.signAccessToken(subject, family);
    const first = tokens.verifyAccessToken(token);
    expect(tokens.verifyAccessToken(token)).toBe(first);

    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(reasonOf(() => tokens.verifyAccessToken(`${header}.${payload}.${flipped}`))).toBe('invalid');
    const admin = Buffer.from(JSON.stringify({ ...first, is_admin: true })).toString('base64url');
    expect(reasonOf(() => tokens.verifyAccessToken(`${header}.${admin}.${signature}`))).toBe('invalid');
  });

  test('refuses a cached token as expired once the clock reaches its exp', () => {
    const clock = createTestClock(new Date('2026-03-01T12:00:00Z'));
    const tokens = createTokenService(config.jwt, keys, clock);
    const { token, claims } = tokens.signAccessToken(subject, family);
    expect(reasonOf(() => tokens.verifyAccessToken(token))).toBe('accepted');
    clock.advance(claims.exp - claims.iat - 1);
    expect(reasonOf(() => tokens.verifyAccessToken(token))).toBe('accepted');
    clock.advance(1);
    expect(reasonOf(() => tokens.verifyAccessToken(token))).toBe('expired');
  });
});

describe('a cached access token is still checked for revocation on every request', () => {
  let t: TestApp;
  let user: UserFixture;
  beforeAll(async () => { t = await makeTestApp(); });
  afterAll(async () => { await t.close(); });
  beforeEach(async () => { user = await createUser(t); });

  const getMe = (access: string) => request(t.app).get('/api/me').set('Authorization', `Bearer ${access}`);

  test('GET /api/me, after the session is logged out, answers 401 session_revoked', async () => {
    const { access_token: access, refresh_token: refresh } = await apiLogin(t, user);
    expect((await getMe(access)).status).toBe(200);
    expect((await getMe(access)).status).toBe(200);
    expect((await request(t.app).post('/api/auth/logout').send({ refresh_token: refresh })).status).toBe(204);
    const res = await getMe(access);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('session_revoked');
  });

  describe('when the user row changes straight in the database (no cache flush in this process)', () => {
    // Only Date is faked: the state cache's 1 s lifetime is wall-clock time, and sleeping is not a test.
    beforeEach(() => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'] });
    });
    afterEach(() => { jest.useRealTimers(); });

    test('disabled: GET /api/me answers 401 session_revoked once the 1 s state cache has lapsed', async () => {
      const { access_token: access } = await apiLogin(t, user);
      expect((await getMe(access)).status).toBe(200);
      await Users.updateUser(t.db, user.internalId, { is_active: false }, t.clock.now());
      jest.setSystemTime(Date.now() + 1001);
      const res = await getMe(access);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('session_revoked');
    });

    test('token_version bumped (a role change): GET /api/me answers 401 token_stale once the state cache has lapsed', async () => {
      const { access_token: access } = await apiLogin(t, user);
      expect((await getMe(access)).status).toBe(200);
      await Users.bumpTokenVersion(t.db, user.internalId, t.clock.now());
      jest.setSystemTime(Date.now() + 1001);
      const res = await getMe(access);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('token_stale');
    });
  });
});
