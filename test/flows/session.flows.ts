import request from 'supertest';
import * as Users from '../../src/models/user.model';
import { hashJti } from '../../src/services/session.service';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture } from '../helpers/factories';
import type { TestApp } from '../helpers/make-app';
import { captureQueries } from '../helpers/query-plans';
import { PRUNE_BATCH } from '../../src/db/prune';
import crypto from 'node:crypto';

/**
 * The refresh-session behaviours of SPEC.md (Tokens, Cookies), written once and run on SQLite
 * (test/integration/sessions.test.ts) and on MariaDB (test/mysql/sessions.test.ts).
 */
export function defineSessionFlows(setup: () => Promise<TestApp>): void {
  let t: TestApp;
  let user: UserFixture;
  beforeAll(async () => { t = await setup(); });
  afterAll(async () => { await t.close(); });
  beforeEach(async () => { user = await createUser(t); });

  const ACCESS_TTL = 15 * 60;
  const refreshCookieOf = (res: request.Response) => setCookie(res, 'refresh_token');

  async function auditCount(event: string, userId: number): Promise<number> {
    const row = await t.db('audit_events').where({ event, user_id: userId }).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  describe('silent refresh', () => {
    test('GET /me with an expired access cookie rotates both tokens and the page renders', async () => {
      const browser = await signIn(t, user);
      const before = browser.cookie('refresh_token');
      t.clock.advance(ACCESS_TTL + 60);
      const res = await browser.get('/me');
      expect(res.status).toBe(200);
      expect(res.text).toContain(user.username);
      expect(setCookie(res, 'access_token')).toBeDefined();
      const after = refreshCookieOf(res);
      expect(after).toBeDefined();
      expect(after).not.toBe(before);
      const oldRow = await t.db('refresh_sessions').where({ jti_hash: hashJti(jtiOf(before!)) }).first();
      expect(oldRow.used_at).not.toBeNull();
      expect(oldRow.replaced_by).toBe(hashJti(jtiOf(after!)));
    });

    test('a form POST with an expired access cookie is carried through, not bounced to the login page', async () => {
      const browser = await signIn(t, user);
      await browser.get('/me');
      t.clock.advance(ACCESS_TTL + 60);
      const res = await browser.submit('/me', { first_name: 'Patient', second_name: '', email: user.email });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/me');
      expect((await Users.findUserByPublicId(t.db, user.id))?.first_name).toBe('Patient');
    });

    test('with no access cookie at all, a valid refresh cookie signs the request in', async () => {
      const browser = await signIn(t, user);
      const refresh = browser.cookie('refresh_token')!;
      const res = await request(t.app).get('/api/me').set('Cookie', `refresh_token=${refresh}`);
      expect(res.status).toBe(200);
      expect(res.body.username).toBe(user.username);
    });
  });

  describe('rotation and reuse', () => {
    test('parallel requests presenting one refresh token within the grace all succeed in the same family', async () => {
      const { refresh_token: refresh } = await apiLogin(t, user);
      const results = await Promise.all(Array.from({ length: 8 }, () => request(t.app).post('/api/auth/refresh').send({ refresh_token: refresh })));
      expect(results.map((res) => res.status)).toEqual(Array(8).fill(200));
      const families = new Set(results.map((res) => decode(res.body.access_token).sid));
      expect(families.size).toBe(1);
      const rows = await t.db('refresh_sessions').where({ user_id: user.internalId });
      expect(new Set(rows.map((row) => row.family_id)).size).toBe(1);
      expect(rows.filter((row) => row.revoked_at !== null)).toHaveLength(0);
      expect(rows).toHaveLength(9);
      for (const res of results) {
        expect((await request(t.app).get('/api/me').set('Authorization', `Bearer ${res.body.access_token}`)).status).toBe(200);
      }
    });

    test('a rotated token replayed after the grace revokes the whole family and is audited', async () => {
      const { refresh_token: first } = await apiLogin(t, user);
      const rotated = await request(t.app).post('/api/auth/refresh').send({ refresh_token: first });
      expect(rotated.status).toBe(200);
      t.clock.advance(31);
      const replay = await request(t.app).post('/api/auth/refresh').send({ refresh_token: first });
      expect(replay.status).toBe(401);
      expect(replay.body.error.code).toBe('invalid_refresh_token');
      const newest = await request(t.app).post('/api/auth/refresh').send({ refresh_token: rotated.body.refresh_token });
      expect(newest.status).toBe(401);
      const access = await request(t.app).get('/api/me').set('Authorization', `Bearer ${rotated.body.access_token}`);
      expect(access.status).toBe(401);
      expect(access.body.error.code).toBe('session_revoked');
      expect(await auditCount('refresh_reuse_detected', user.internalId)).toBe(1);
    });

    test('the database keeps only a hash of each token id, never the token or the jti', async () => {
      const { refresh_token: refresh } = await apiLogin(t, user);
      const jti = jtiOf(refresh);
      const rows = await t.db('refresh_sessions').where({ user_id: user.internalId });
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(jti);
      expect(dump).not.toContain(refresh.split('.')[2]);
      expect(rows[0].jti_hash).toBe(hashJti(jti));
    });

    test('an expired refresh token is refused', async () => {
      const { refresh_token: refresh } = await apiLogin(t, user);
      t.clock.advance(t.config.jwt.refreshTtlSeconds + 1);
      expect((await request(t.app).post('/api/auth/refresh').send({ refresh_token: refresh })).status).toBe(401);
    });
  });

  describe('logout', () => {
    test('POST /api/auth/logout revokes the refresh token: replaying it afterwards fails', async () => {
      const { refresh_token: refresh, access_token: access } = await apiLogin(t, user);
      const out = await request(t.app).post('/api/auth/logout').send({ refresh_token: refresh });
      expect(out.status).toBe(204);
      expect((await request(t.app).post('/api/auth/refresh').send({ refresh_token: refresh })).status).toBe(401);
      expect((await request(t.app).get('/api/me').set('Authorization', `Bearer ${access}`)).status).toBe(401);
      expect(await auditCount('logged_out', user.internalId)).toBe(1);
    });

    test('the Log out button kills the captured refresh cookie and the access cookie on the server', async () => {
      const browser = await signIn(t, user);
      const page = await browser.get('/me');
      const refresh = browser.cookie('refresh_token')!;
      const access = browser.cookie('access_token')!;
      expect(page.text).toContain('Log out');
      const out = await browser.submit('/auth/logout', {});
      expect(out.status).toBe(303);
      expect(out.headers.location).toBe('/auth/login');
      expect((await request(t.app).post('/api/auth/refresh').send({ refresh_token: refresh })).status).toBe(401);
      expect((await request(t.app).get('/api/me').set('Cookie', `access_token=${access}`)).status).toBe(401);
    });
  });

  describe('revocation on the next request', () => {
    test('a password change keeps this browser signed in with fresh tokens and signs the other one out', async () => {
      const laptop = await signIn(t, user, 'Mozilla/5.0 (Windows NT 10.0) Firefox/140.0');
      const phone = await signIn(t, user, 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Safari/604.1');
      const { access_token: bearer } = await apiLogin(t, user);
      expect((await phone.get('/me')).status).toBe(200);
      await laptop.get('/me');
      const changed = await laptop.submit('/me/password', {
        current_password: user.password,
        new_password: 'a brand new passphrase',
        password_confirmation: 'a brand new passphrase',
      });
      expect(changed.status).toBe(303);
      expect(setCookie(changed, 'access_token')).toBeDefined();
      expect((await laptop.get('/me')).status).toBe(200);
      const bounced = await phone.get('/me');
      expect(bounced.status).toBe(303);
      expect(bounced.headers.location).toBe('/auth/login?next=%2Fme');
      expect((await request(t.app).get('/api/me').set('Authorization', `Bearer ${bearer}`)).status).toBe(401);
      expect(await auditCount('password_changed', user.internalId)).toBe(1);
    });

    test('a wrong current password or a weak new one changes nothing', async () => {
      const browser = await signIn(t, user);
      await browser.get('/me');
      const wrong = await browser.submit('/me/password', { current_password: 'not my password', new_password: 'a brand new passphrase', password_confirmation: 'a brand new passphrase' });
      expect(wrong.status).toBe(422);
      expect(wrong.text).toContain('Your current password is not correct.');
      const weak = await browser.submit('/me/password', { current_password: user.password, new_password: 'password1', password_confirmation: 'password1' });
      expect(weak.status).toBe(422);
      const row = await Users.findUserByPublicId(t.db, user.id);
      expect(await t.app.services.passwords.verify(user.password, row!.password_hash)).toBe(true);
      expect(row!.token_version).toBe(0);
    });

    test('"Sign out all other sessions" ends the others on their next request and keeps this one', async () => {
      const mine = await signIn(t, user);
      const other = await signIn(t, user);
      await other.get('/me');
      await mine.get('/me/sessions');
      const res = await mine.submit('/me/sessions/revoke-others', {});
      expect(res.status).toBe(303);
      expect((await other.get('/me')).status).toBe(303);
      expect((await mine.get('/me')).status).toBe(200);
      expect(await auditCount('sessions_revoked', user.internalId)).toBe(1);
    });

    test('a role change makes the Bearer token stale (401 token_stale) and the browser silently gets the new roles', async () => {
      const browser = await signIn(t, user);
      const { access_token: bearer } = await apiLogin(t, user);
      await Users.updateUser(t.db, user.internalId, { is_author: true }, t.clock.now());
      await Users.bumpTokenVersion(t.db, user.internalId, t.clock.now());
      await t.app.services.sessions.forgetCachedState(user.internalId);
      const stale = await request(t.app).get('/api/me').set('Authorization', `Bearer ${bearer}`);
      expect(stale.status).toBe(401);
      expect(stale.body.error.code).toBe('token_stale');
      const page = await browser.get('/me');
      expect(page.status).toBe(200);
      expect(decode(setCookie(page, 'access_token')!).is_author).toBe(true);
    });

    test('an expired Bearer token gets 401 token_expired, telling the client to refresh', async () => {
      const { access_token: bearer } = await apiLogin(t, user);
      t.clock.advance(ACCESS_TTL + 1);
      const res = await request(t.app).get('/api/me').set('Authorization', `Bearer ${bearer}`);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('token_expired');
    });
  });

  describe('the sessions page', () => {
    test('lists each sign-in with device, IP and times, marks this device, and signs one out with its button', async () => {
      const mine = await signIn(t, user, 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/140.0');
      const other = await signIn(t, user, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Version/17.0 Safari/605.1.15');
      const page = await mine.get('/me/sessions');
      expect(page.status).toBe(200);
      expect(page.text).toContain('Firefox on Linux');
      expect(page.text).toContain('Safari on macOS');
      expect(page.text).toContain('this device');
      expect(page.text).toContain('Sign out all other sessions');
      const otherId = decode(other.cookie('access_token')!).sid;
      const myId = decode(mine.cookie('access_token')!).sid;
      expect(page.text).toContain(`/me/sessions/${otherId}/revoke`);
      expect(page.text.indexOf(myId)).toBeLessThan(page.text.indexOf(otherId));

      const noToken = await request(t.app).post(`/me/sessions/${otherId}/revoke`).set('Cookie', `access_token=${mine.cookie('access_token')}`).type('form').send('');
      expect(noToken.status).toBe(403);
      expect((await other.get('/me')).status).toBe(200);

      const revoked = await mine.submit(`/me/sessions/${otherId}/revoke`, {});
      expect(revoked.status).toBe(303);
      expect((await other.get('/me')).status).toBe(303);
      const after = await mine.get('/me/sessions');
      expect(after.text).not.toContain(otherId);
      expect(after.text).toContain('No other sessions');
    });

    test("a user cannot sign out someone else's session by its id", async () => {
      const victim = await createUser(t);
      const victimBrowser = await signIn(t, victim);
      const victimSession = decode(victimBrowser.cookie('access_token')!).sid;
      const attacker = await signIn(t, user);
      await attacker.get('/me/sessions');
      const res = await attacker.submit(`/me/sessions/${victimSession}/revoke`, {});
      expect(res.status).toBe(303);
      expect((await victimBrowser.get('/me')).status).toBe(200);
    });

    test('a malformed session id is a 404', async () => {
      const browser = await signIn(t, user);
      await browser.get('/me/sessions');
      expect((await browser.submit('/me/sessions/not-a-uuid/revoke', {})).status).toBe(404);
    });
  });

  test('prune() deletes expired and long-revoked rows and keeps live ones', async () => {
    await apiLogin(t, user);
    const { refresh_token: toRevoke } = await apiLogin(t, user);
    await request(t.app).post('/api/auth/logout').send({ refresh_token: toRevoke });
    t.clock.advance(t.config.jwt.refreshTtlSeconds + 10);
    const fresh = await apiLogin(t, user);
    await t.app.services.sessions.prune();
    const rows = await t.db('refresh_sessions').where({ user_id: user.internalId });
    expect(rows).toHaveLength(1);
    expect(rows[0].jti_hash).toBe(hashJti(jtiOf(fresh.refresh_token)));
  });

  test('prune() works through a backlog of several batches, each DELETE removing at most PRUNE_BATCH rows, and keeps live ones', async () => {
    const now = t.clock.now();
    const row = (createdAt: Date, revokedAt: Date | null) => ({
      jti_hash: crypto.randomBytes(32).toString('hex'), family_id: crypto.randomUUID(), user_id: user.internalId,
      family_created_at: createdAt, created_at: createdAt, expires_at: new Date(createdAt.getTime() + t.config.jwt.refreshTtlSeconds * 1000),
      revoked_at: revokedAt, user_agent: 'test', ip: null,
    });
    const expired = new Date(now.getTime() - (t.config.jwt.refreshTtlSeconds + 1) * 1000);
    const revokedLongAgo = new Date(now.getTime() - (t.config.jwt.refreshTtlSeconds + 60) * 1000);
    const rows = [
      ...Array.from({ length: 1234 }, () => row(expired, null)),
      ...Array.from({ length: 620 }, () => row(revokedLongAgo, revokedLongAgo)),
      ...Array.from({ length: 40 }, () => row(now, null)),
    ];
    for (let i = 0; i < rows.length; i += 200) await t.db('refresh_sessions').insert(rows.slice(i, i + 200));

    let pruned = 0;
    const queries = await captureQueries(t.db, async () => { pruned = await t.app.services.sessions.prune(); });
    const deletes = queries.filter((query) => /^delete/i.test(query.sql));
    expect(pruned).toBeGreaterThanOrEqual(1234 + 620);
    expect(deletes.length).toBeGreaterThanOrEqual(Math.ceil((1234 + 620) / PRUNE_BATCH));
    for (const query of deletes) expect(query.bindings.length).toBeLessThanOrEqual(PRUNE_BATCH);
    expect(await t.db('refresh_sessions').where({ user_id: user.internalId }).count({ n: '*' }).first()).toEqual({ n: 40 });
  });
}

export function decode(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

function jtiOf(token: string): string {
  return decode(token).jti;
}

/** The value a response sets for a cookie, or undefined. */
export function setCookie(res: request.Response, name: string): string | undefined {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  const line = header?.find((cookie) => cookie.startsWith(`${name}=`));
  const value = line?.split(';')[0]?.slice(name.length + 1);
  return value || undefined;
}
