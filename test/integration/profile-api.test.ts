import request from 'supertest';
import { apiLogin, createUser, UserFixture } from '../helpers/factories';
import { errorEnvelope, GENEROUS_LIMITS, userRow } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

async function bearer(): Promise<{ user: UserFixture; auth: string }> {
  const user = await createUser(t, { first_name: 'Ada' });
  return { user, auth: `Bearer ${(await apiLogin(t, user)).access_token}` };
}

describe('GET /api/me', () => {
  it('answers the current user for a Bearer token, without internals', async () => {
    const { user, auth } = await bearer();
    const res = await request(t.app).get('/api/me').set('Authorization', auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, username: user.username, email: user.email, first_name: 'Ada' });
    expect(JSON.stringify(res.body)).not.toMatch(/password|token_version|"id":\d/);
  });

  it('answers 401 with the envelope when no token is sent', async () => {
    const res = await request(t.app).get('/api/me');
    expect(res.status).toBe(401);
    expect(errorEnvelope(res).code).toBe('unauthenticated');
  });
});

describe('PATCH /api/me', () => {
  it('edits the names', async () => {
    const { user, auth } = await bearer();
    const res = await request(t.app).patch('/api/me').set('Authorization', auth).send({ first_name: 'Grace', second_name: 'Hopper' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ first_name: 'Grace', second_name: 'Hopper' });
    expect(await userRow(t, { id: user.internalId })).toMatchObject({ first_name: 'Grace', second_name: 'Hopper' });
  });

  it('refuses an email change without the current password: 422 at current_password', async () => {
    const { user, auth } = await bearer();
    const res = await request(t.app).patch('/api/me').set('Authorization', auth).send({ email: 'other@example.test' });
    expect(res.status).toBe(422);
    expect(errorEnvelope(res).fields).toEqual({ current_password: 'Enter your current password to change your email address.' });
    expect((await userRow(t, { id: user.internalId })).email).toBe(user.email);
  });

  it('refuses an email change with a wrong current password: 422 at current_password', async () => {
    const { user, auth } = await bearer();
    const res = await request(t.app).patch('/api/me').set('Authorization', auth).send({ email: 'other2@example.test', current_password: 'not-the-password' });
    expect(res.status).toBe(422);
    expect(errorEnvelope(res).fields).toEqual({ current_password: 'Your current password is not correct.' });
    expect((await userRow(t, { id: user.internalId })).email).toBe(user.email);
  });

  it('accepts an email change with the right current password', async () => {
    const { user, auth } = await bearer();
    const res = await request(t.app).patch('/api/me').set('Authorization', auth).send({ email: 'other3@example.test', current_password: user.password });
    expect(res.status).toBe(200);
  });

  it('ignores username, roles, is_active and token_version (no mass assignment)', async () => {
    const { user, auth } = await bearer();
    const res = await request(t.app).patch('/api/me').set('Authorization', auth)
      .send({ username: 'root', is_admin: true, is_author: true, is_active: false, token_version: 9, id: 1, first_name: 'Eve' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ username: user.username, is_admin: false, is_author: false, is_active: true, first_name: 'Eve' });
    expect((await userRow(t, { id: user.internalId })).token_version).toBe(0);
  });

  it('answers 401 without a token', async () => {
    const res = await request(t.app).patch('/api/me').send({ first_name: 'Mallory' });
    expect(res.status).toBe(401);
    errorEnvelope(res);
  });
});
