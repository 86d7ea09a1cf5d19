import request from 'supertest';
import { userInput } from '../helpers/factories';
import { countRows, GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';

describeMysql('50 concurrent registrations of one username on MariaDB', () => {
  let scratch: ScratchDatabase;
  let t: TestApp;
  beforeAll(async () => {
    scratch = await createScratchMysqlDatabase();
    t = await makeTestApp({ env: { ...GENEROUS_LIMITS, DATABASE_URL: scratch.url } });
  });
  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
  });

  it('create exactly one user: one 201, forty-nine 409, no 500', async () => {
    const username = `race_${Date.now()}`;
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      request(t.app).post('/api/auth/register').send({ ...userInput(), username: i % 2 ? username : username.toUpperCase() })));
    const statuses = responses.map((res) => res.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(49);
    for (const res of responses.filter((r) => r.status === 409)) {
      expect(res.body.error.fields).toEqual({ username: 'That username is already taken.' });
    }
    expect(await countRows(t.db('users').where({ username }))).toBe(1);
  });

  it('of one email (in different cases) also create exactly one user', async () => {
    const email = `race_${Date.now()}@example.test`;
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      request(t.app).post('/api/auth/register').send({ ...userInput(), email: i % 2 ? email : email.toUpperCase() })));
    const statuses = responses.map((res) => res.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(49);
    for (const res of responses.filter((r) => r.status === 409)) {
      expect(res.body.error.fields).toEqual({ email: 'An account with that email address already exists.' });
    }
  });
});
