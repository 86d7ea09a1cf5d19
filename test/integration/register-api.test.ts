import request from 'supertest';
import { createUser, userInput } from '../helpers/factories';
import { auditEventsOf, countRows, errorEnvelope, GENEROUS_LIMITS, userRow } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { rawInsertError } from '../helpers/raw-user';

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

const PUBLIC_USER_KEYS = [
  'created_at', 'email', 'first_name', 'id', 'is_active', 'is_admin', 'is_author', 'is_reader', 'is_verified',
  'language', 'last_login_at', 'second_name', 'updated_at', 'username',
];

/** A user body must never carry the hash, the token version or the internal numeric id. */
function expectNoInternals(body: unknown, internalId: number): void {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/password|token_version|\$2[aby]\$/);
  expect(text).not.toMatch(new RegExp(`"id":${internalId}\\b`));
  expect(text).not.toMatch(/"id":\d/);
}

describe('POST /api/auth/register', () => {
  it('answers 201 with the public user and nothing internal', async () => {
    const input = { ...userInput(), first_name: 'Ada', second_name: 'Lovelace' };
    const res = await request(t.app).post('/api/auth/register').send(input);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(PUBLIC_USER_KEYS);
    const row = await userRow(t, { username: input.username });
    expect(res.body).toMatchObject({
      id: row.public_id, username: input.username, email: input.email, first_name: 'Ada', second_name: 'Lovelace',
      is_reader: true, is_author: false, is_admin: false, is_active: true, is_verified: false, last_login_at: null,
    });
    expect(res.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expectNoInternals(res.body, row.id);
    expect(await auditEventsOf(t, row.id)).toContain('registered');
  });

  it('takes password_confirmation when sent, and refuses a mismatch with 422', async () => {
    const input = userInput();
    const res = await request(t.app).post('/api/auth/register').send({ ...input, password_confirmation: 'something else entirely' });
    expect(res.status).toBe(422);
    expect(errorEnvelope(res).fields).toEqual({ password_confirmation: 'The two passwords do not match.' });
  });

  it('stores the email lower-case', async () => {
    const input = userInput();
    const res = await request(t.app).post('/api/auth/register').send({ ...input, email: input.email.toUpperCase() });
    expect(res.body.email).toBe(input.email);
    expect((await userRow(t, { username: input.username })).email).toBe(input.email);
  });

  it.each([
    ['username', (u: { username: string }) => ({ username: u.username.toUpperCase() }), 'That username is already taken.'],
    ['email', (u: { email: string }) => ({ email: u.email.toUpperCase() }), 'An account with that email address already exists.'],
  ])('when the %s is taken in another case, answers 409 with the message at the field', async (field, change, message) => {
    const existing = await createUser(t);
    const res = await request(t.app).post('/api/auth/register').send({ ...userInput(), ...change(existing) });
    expect(res.status).toBe(409);
    expect(errorEnvelope(res)).toEqual({ code: 'conflict', message: expect.any(String), fields: { [field]: message } });
  });

  it('answers 422 with a message per field and never echoes the password', async () => {
    const typed = 'Typed-But-Secret-9431';
    const res = await request(t.app).post('/api/auth/register').send({ username: 'x', email: 'nope', password: typed, first_name: 'y'.repeat(51) });
    expect(res.status).toBe(422);
    const error = errorEnvelope(res);
    expect(error.code).toBe('validation_failed');
    expect(Object.keys(error.fields ?? {}).sort()).toEqual(['email', 'first_name', 'username']);
    expect(res.text).not.toContain(typed);
  });

  it('ignores is_admin, is_author, is_active, token_version, id and public_id (no mass assignment)', async () => {
    const input = userInput();
    const res = await request(t.app).post('/api/auth/register').send({
      ...input, is_admin: true, is_author: true, is_active: false, is_verified: true, token_version: 42, id: 9999,
      public_id: '00000000-0000-4000-8000-000000000000', password_hash: 'x',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ is_admin: false, is_author: false, is_active: true, is_verified: false });
    expect(res.body.id).not.toBe('00000000-0000-4000-8000-000000000000');
    const row = await userRow(t, { username: input.username });
    expect(row.token_version).toBe(0);
    expect(row.id).not.toBe(9999);
    expect(Boolean(row.is_admin)).toBe(false);
  });
});

describe('50 concurrent registrations of one username', () => {
  it('create exactly one user: one 201, forty-nine 409, no 500', async () => {
    const username = `race_${Date.now()}`;
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      request(t.app).post('/api/auth/register').send({ ...userInput(), username: i % 2 ? username : username.toUpperCase() })));
    const statuses = responses.map((res) => res.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(49);
    for (const res of responses.filter((r) => r.status === 409)) {
      expect(errorEnvelope(res).fields).toEqual({ username: 'That username is already taken.' });
    }
    expect(await countRows(t.db('users').whereRaw('lower(username) = ?', [username]))).toBe(1);
    expect(await countRows(t.db('audit_events').where({ event: 'registered' })
      .whereIn('user_id', t.db('users').select('id').whereRaw('lower(username) = ?', [username])))).toBe(1);
  });
});

describe('the users table itself (SQLite)', () => {
  it.each([
    ['username', ['casefold_a', 'CaseFold_A'], ['cf1@example.test', 'cf2@example.test']],
    ['email', ['casefold_b', 'casefold_c'], ['same@example.test', 'SAME@Example.TEST']],
  ])('refuses a raw insert of the same %s in another case', async (_column, [firstName, secondName], [firstEmail, secondEmail]) => {
    expect(await rawInsertError(t.db, firstName!, firstEmail!)).toBeUndefined();
    expect((await rawInsertError(t.db, secondName!, secondEmail!))?.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
  });
});
