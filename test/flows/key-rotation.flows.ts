import crypto from 'node:crypto';
import type { Express } from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { retireKey, rotateKeys } from '../../src/cli/key-rotation';
import { loadConfig, ROOT_DIR } from '../../src/config/env';
import { KeyRing, loadKeys } from '../../src/config/keys';
import { hashJti } from '../../src/services/session.service';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn } from '../helpers/factories';
import { auditEventsOf, GENEROUS_LIMITS, userRow } from '../helpers/http';
import { KeyDir, makeKeyDir } from '../helpers/key-dir';
import { createTestClock, makeTestApp, TEST_ENV, TestApp, TestClock } from '../helpers/make-app';

/**
 * Key rotation as users live through it, written once and run on SQLite
 * (test/integration/key-rotation.test.ts) and on MariaDB (test/mysql/key-rotation.test.ts).
 */
type RingApp = TestApp & { ring: KeyRing };

async function appWith(env: Record<string, string>, clock: TestClock, db?: TestApp['db']): Promise<RingApp> {
  const fullEnv = { ...GENEROUS_LIMITS, ...env };
  const ring = loadKeys(loadConfig({ ...TEST_ENV, ...fullEnv }, ROOT_DIR, { requireKeyFiles: false }), { clock });
  const t = await makeTestApp({ env: fullEnv, keys: ring, clock, db });
  return { ...t, ring };
}

const kidOf = (token: string) => jwt.decode(token, { complete: true })?.header.kid;
const jtiOf = (token: string) => (jwt.decode(token) as { jti: string }).jti;
const FLASH_UPDATED = 'Your profile has been updated.';

export function defineKeyRotationFlows(databaseEnv: () => Record<string, string>): void {
  describe.each(['RS256', 'ES256'] as const)('with %s key files', (algorithm) => {
    let keyDir: KeyDir;
    let t: RingApp;
    beforeAll(async () => {
      keyDir = makeKeyDir(algorithm);
      t = await appWith({ ...keyDir.env, ...databaseEnv() }, createTestClock());
    });
    afterAll(async () => {
      await t.close();
      keyDir.cleanup();
    });

    /** npm run keys:rotate, then the instance's next reload. */
    async function rotate() {
      const rotation = rotateKeys(keyDir.config(), t.clock);
      expect(await t.ring.reload()).toMatchObject({ status: 'changed', kid: rotation.kid });
      return rotation;
    }

    test('an access token and a refresh token issued before keys:rotate still work after it, and the refresh answers with the new kid', async () => {
      const user = await createUser(t);
      const before = await apiLogin(t, user);
      const { kid, previousKid } = await rotate();
      expect(kidOf(before.access_token)).toBe(previousKid);

      const me = await request(t.app).get('/api/me').set('Authorization', `Bearer ${before.access_token}`);
      expect(me.status).toBe(200);
      expect(me.body.username).toBe(user.username);

      const refreshed = await request(t.app).post('/api/auth/refresh').send({ refresh_token: before.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(kidOf(refreshed.body.access_token)).toBe(kid);
      // The refresh token's key is derived from the new signing key: a kid of its own, never published.
      expect(kidOf(refreshed.body.refresh_token)).toMatch(/^r-/);
      expect(kidOf(refreshed.body.refresh_token)).not.toBe(kidOf(before.refresh_token));
      const oldRow = await t.db('refresh_sessions').where({ jti_hash: hashJti(jtiOf(before.refresh_token)) }).first();
      expect(oldRow.used_at).not.toBeNull();
      expect(oldRow.replaced_by).toBe(hashJti(jtiOf(refreshed.body.refresh_token)));
      expect((await request(t.app).get('/api/me').set('Authorization', `Bearer ${refreshed.body.access_token}`)).status).toBe(200);
    });

    test('after the rotation a login signs with the new kid, and the JWKS lists both keys, so another service verifies old and new tokens from it', async () => {
      const user = await createUser(t);
      const old = await apiLogin(t, user);
      const { kid, previousKid } = await rotate();
      const fresh = await apiLogin(t, user);
      expect(kidOf(fresh.access_token)).toBe(kid);
      expect((await auditEventsOf(t, user.internalId)).filter((event) => event === 'logged_in')).toHaveLength(2);

      const jwks = await request(t.app).get('/.well-known/jwks.json');
      expect(jwks.headers['cache-control']).toBe('public, max-age=60');
      const kids = (jwks.body.keys as { kid: string }[]).map((key) => key.kid);
      expect(kids[0]).toBe(kid);
      expect(kids).toContain(previousKid);
      for (const token of [old.access_token, fresh.access_token]) {
        const jwk = (jwks.body.keys as (crypto.JsonWebKey & { kid: string })[]).find((key) => key.kid === kidOf(token))!;
        const verified = jwt.verify(token, crypto.createPublicKey({ key: jwk, format: 'jwk' }), { algorithms: [algorithm], issuer: 'gatehouse', audience: 'gatehouse' });
        expect(verified).toMatchObject({ sub: user.id, type: 'access' });
      }
    });

    test('a browser signed in before the rotation stays signed in, and the form it opened before posts after it', async () => {
      const user = await createUser(t);
      const browser = await signIn(t, user);
      expect((await browser.get('/me')).status).toBe(200);
      const formToken = browser.csrf;
      await rotate();

      const res = await browser.submit('/me', { first_name: 'Rotated', second_name: '', email: user.email });
      expect(browser.csrf).toBe(formToken);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/me');
      expect((await userRow(t, { id: user.internalId })).first_name).toBe('Rotated');
      expect(await auditEventsOf(t, user.internalId)).toContain('profile_updated');
      // The next page still uses the browser's CSRF cookie: still valid, so not replaced.
      const page = await browser.get('/me');
      expect(page.headers['set-cookie'] ?? []).not.toContainEqual(expect.stringContaining('gatehouse.csrf'));
    });

    test('a flash message signed just before the rotation is shown just after it', async () => {
      const user = await createUser(t);
      const browser = await signIn(t, user);
      await browser.get('/me');
      const res = await browser.submit('/me', { first_name: 'Flashed', second_name: '', email: user.email });
      expect(res.status).toBe(303);
      await rotate();
      const page = await browser.get('/me');
      expect(page.status).toBe(200);
      expect(page.text).toContain(FLASH_UPDATED);
    });

    test('after keys:retire --force, the old key\'s tokens are refused: 401 for the API, the login page for a browser', async () => {
      const user = await createUser(t);
      const api = await apiLogin(t, user);
      const browser = await signIn(t, user);
      const { previousKid } = await rotate();
      retireKey(keyDir.config(), previousKid, { force: true }, t.clock);
      expect(await t.ring.reload()).toMatchObject({ status: 'changed' });

      const jwks = await request(t.app).get('/.well-known/jwks.json');
      expect((jwks.body.keys as { kid: string }[]).map((key) => key.kid)).not.toContain(previousKid);
      expect((await request(t.app).get('/api/me').set('Authorization', `Bearer ${api.access_token}`)).status).toBe(401);
      const refresh = await request(t.app).post('/api/auth/refresh').send({ refresh_token: api.refresh_token });
      expect(refresh.status).toBe(401);
      expect(refresh.body.error.code).toBe('invalid_refresh_token');
      const page = await browser.get('/me');
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe('/auth/login?next=%2Fme');
    });

    test('after keys:retire --force, a visitor whose CSRF cookie was made under the old key gets a new one, and the login form posts', async () => {
      const user = await createUser(t);
      const visitor = new Browser(t.app);
      await visitor.get('/auth/login');
      const oldToken = visitor.csrf;
      expect((await visitor.get('/auth/login')).headers['set-cookie']).toBeUndefined(); // known: reused, not set again
      const { previousKid } = await rotate();
      await visitor.get('/auth/login');
      expect(visitor.csrf).toBe(oldToken); // still valid after the rotation: kept
      retireKey(keyDir.config(), previousKid, { force: true }, t.clock);
      await t.ring.reload();

      const page = await visitor.get('/auth/login');
      expect(page.headers['set-cookie']).toContainEqual(expect.stringContaining('gatehouse.csrf='));
      expect(visitor.csrf).not.toBe(oldToken);
      const res = await visitor.submit('/auth/login', { login: user.username, password: user.password });
      expect(res.status).toBe(303);
    });
  });

  describe('with HS256 and JWT_SECRET_PREVIOUS', () => {
    const OLD = 'the-old-hs256-secret-of-at-least-32-bytes';
    const NEW = 'the-new-hs256-secret-of-at-least-32-bytes';
    let before: RingApp;
    let after: RingApp;
    let afterward: RingApp;
    /** One address in front of the instances, so a browser lives through the restart that an HS256 rotation is. */
    let serving: Express;
    const front = ((req: unknown, res: unknown) => (serving as unknown as (a: unknown, b: unknown) => void)(req, res)) as unknown as Express;

    beforeAll(async () => {
      const clock = createTestClock();
      before = await appWith({ JWT_ALGORITHM: 'HS256', JWT_SECRET: OLD, ...databaseEnv() }, clock);
      after = await appWith({ JWT_ALGORITHM: 'HS256', JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD, ...databaseEnv() }, clock, before.db);
      afterward = await appWith({ JWT_ALGORITHM: 'HS256', JWT_SECRET: NEW, ...databaseEnv() }, clock, before.db);
    });
    afterAll(async () => { await before.close(); });

    test('after the restart, tokens, an open form and a flash message from before still work, and new tokens carry the new kid', async () => {
      serving = before.app;
      const user = await createUser(before);
      const api = await apiLogin(before, user);
      const browser = new Browser(front);
      expect((await browser.submit('/auth/login', { login: user.username, password: user.password })).status).toBe(303);
      await browser.get('/me');
      expect((await browser.submit('/me', { first_name: 'Before', second_name: '', email: user.email })).status).toBe(303);

      serving = after.app;
      expect((await request(after.app).get('/api/me').set('Authorization', `Bearer ${api.access_token}`)).status).toBe(200);
      const page = await browser.get('/me');
      expect(page.text).toContain(FLASH_UPDATED);
      expect((await browser.submit('/me', { first_name: 'After', second_name: '', email: user.email })).status).toBe(303);
      expect((await userRow(after, { id: user.internalId })).first_name).toBe('After');

      const refreshed = await request(after.app).post('/api/auth/refresh').send({ refresh_token: api.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(kidOf(refreshed.body.access_token)).toBe(after.ring.kid);
      expect(after.ring.kid).not.toBe(before.ring.kid);
      expect(kidOf(api.access_token)).toBe(before.ring.kid);
    });

    test('once JWT_SECRET_PREVIOUS is unset, tokens signed with the old secret are refused', async () => {
      const user = await createUser(before);
      const api = await apiLogin(before, user);
      expect((await request(afterward.app).get('/api/me').set('Authorization', `Bearer ${api.access_token}`)).status).toBe(401);
      expect((await request(afterward.app).post('/api/auth/refresh').send({ refresh_token: api.refresh_token })).status).toBe(401);
      const fresh = await apiLogin(afterward, user);
      expect((await request(afterward.app).get('/api/me').set('Authorization', `Bearer ${fresh.access_token}`)).status).toBe(200);
    });
  });
}
