import request from 'supertest';
import { defineSessionFlows, decode } from '../flows/session.flows';
import { apiLogin, createUser } from '../helpers/factories';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';

describeMysql('refresh sessions on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => { scratch = await createScratchMysqlDatabase(); });
  afterAll(async () => { await scratch.drop(); });

  defineSessionFlows(() => makeTestApp({ env: { DATABASE_URL: scratch.url } }));

  describe('rotation under real concurrency (pool of 10 connections)', () => {
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      a = await makeTestApp({ env: { DATABASE_URL: scratch.url } });
      b = await makeTestApp({ env: { DATABASE_URL: scratch.url }, keys: a.keys, clock: a.clock });
    });
    afterAll(async () => { await a.close(); await b.close(); });

    test('20 parallel refreshes of one token across two app instances mint one family and lose nothing', async () => {
      const user = await createUser(a);
      const { refresh_token: refresh } = await apiLogin(a, user);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        request(i % 2 ? a.app : b.app).post('/api/auth/refresh').send({ refresh_token: refresh })));
      expect(results.map((res) => res.status)).toEqual(Array(20).fill(200));
      const rows = await a.db('refresh_sessions').where({ user_id: user.internalId });
      expect(rows).toHaveLength(21);
      expect(new Set(rows.map((row) => row.family_id)).size).toBe(1);
      expect(rows.filter((row) => row.revoked_at !== null)).toHaveLength(0);
      const original = rows.find((row) => row.replaced_by !== null);
      expect(rows.filter((row) => row.used_at !== null)).toHaveLength(1);
      expect(original).toBeDefined();
      expect(new Set(results.map((res) => decode(res.body.access_token).sid)).size).toBe(1);
    });

    test('with no grace, parallel replays of one token revoke its family', async () => {
      const strict = await makeTestApp({ env: { DATABASE_URL: scratch.url, REFRESH_REUSE_GRACE: '0s' }, keys: a.keys, clock: a.clock });
      try {
        const user = await createUser(strict);
        const { refresh_token: refresh } = await apiLogin(strict, user);
        await request(strict.app).post('/api/auth/refresh').send({ refresh_token: refresh });
        strict.clock.advance(1);
        const replays = await Promise.all(Array.from({ length: 5 }, () => request(strict.app).post('/api/auth/refresh').send({ refresh_token: refresh })));
        expect(replays.map((res) => res.status)).toEqual(Array(5).fill(401));
        const live = await strict.db('refresh_sessions').where({ user_id: user.internalId }).whereNull('revoked_at');
        expect(live).toHaveLength(0);
      } finally {
        await strict.close();
      }
    });

    test("another instance's cached verdict expires within a second of a revocation", async () => {
      const user = await createUser(a);
      const { access_token: access, refresh_token: refresh } = await apiLogin(a, user);
      expect((await request(b.app).get('/api/me').set('Authorization', `Bearer ${access}`)).status).toBe(200);
      await request(a.app).post('/api/auth/logout').send({ refresh_token: refresh });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const after = await request(b.app).get('/api/me').set('Authorization', `Bearer ${access}`);
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe('session_revoked');
    });
  });
});
