import request from 'supertest';
import { Browser } from '../helpers/browser';
import { createUser, signIn, userInput } from '../helpers/factories';
import { auditEventsOf, errorEnvelope, GENEROUS_LIMITS, isCleared, setCookie, userRow } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { rawInsertError } from '../helpers/raw-user';

describeMysql('the foundation on MariaDB', () => {
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

  it('applies the migrations: users, refresh_sessions and audit_events exist, in utf8mb4', async () => {
    for (const table of ['users', 'refresh_sessions', 'audit_events']) expect(await t.db.schema.hasTable(table)).toBe(true);
    const [rows] = await t.db.raw("select table_collation as c from information_schema.tables where table_schema = database() and table_name = 'users'");
    expect(rows[0].c).toMatch(/^utf8mb4_/);
  });

  it.each([
    ['username', ['alice_ci', 'ALICE_CI'], ['ci1@example.test', 'ci2@example.test']],
    ['email', ['bob_ci', 'carol_ci'], ['same@example.test', 'SAME@EXAMPLE.TEST']],
  ])('the database itself refuses a raw insert of the same %s in another case', async (_column, [a, b], [emailA, emailB]) => {
    expect(await rawInsertError(t.db, a!, emailA!)).toBeUndefined();
    expect((await rawInsertError(t.db, b!, emailB!))?.code).toBe('ER_DUP_ENTRY');
  });

  it('registers through the form, lands on /me, edits the names, logs out and back in by email', async () => {
    const input = userInput();
    const browser = new Browser(t.app);
    const registered = await browser.submit('/auth/register', { ...input, email: input.email.toUpperCase(), password_confirmation: input.password });
    expect(registered.status).toBe(303);
    expect(registered.headers.location).toBe('/me');
    const me = await browser.get('/me');
    expect(me.text).toContain('Welcome');
    const row = await userRow(t, { username: input.username });
    expect(row.email).toBe(input.email);

    const edited = await browser.submit('/me', { first_name: 'Zoë', second_name: 'Ångström', email: input.email });
    expect(edited.status).toBe(303);
    expect(await userRow(t, { id: row.id })).toMatchObject({ first_name: 'Zoë', second_name: 'Ångström' });

    await browser.get('/me');
    const refresh = browser.cookie('refresh_token')!;
    const loggedOut = await browser.submit('/auth/logout', {});
    expect(loggedOut.status).toBe(303);
    expect(isCleared(setCookie(loggedOut, 'access_token'))).toBe(true);
    expect((await request(t.app).post('/api/auth/refresh').send({ refresh_token: refresh })).status).toBe(401);

    const again = await new Browser(t.app).submit('/auth/login', { login: input.email.toUpperCase(), password: input.password, next: '/me' });
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/me');
    const events = await auditEventsOf(t, row.id);
    expect(events).toEqual(expect.arrayContaining(['registered', 'logged_in', 'profile_updated', 'logged_out']));
  });

  it('answers 409 at the field for a username taken in another case', async () => {
    const existing = await createUser(t);
    const res = await request(t.app).post('/api/auth/register').send({ ...userInput(), username: existing.username.toUpperCase() });
    expect(res.status).toBe(409);
    expect(errorEnvelope(res).fields).toEqual({ username: 'That username is already taken.' });
  });

  it('logs in through the API, serves /api/me, and refuses a wrong password with the one message', async () => {
    const user = await createUser(t);
    const login = await request(t.app).post('/api/auth/login').send({ username: user.username, password: user.password });
    expect(login.status).toBe(200);
    const me = await request(t.app).get('/api/me').set('Authorization', `Bearer ${login.body.access_token}`);
    expect(me.body).toMatchObject({ id: user.id, username: user.username });
    const patched = await request(t.app).patch('/api/me').set('Authorization', `Bearer ${login.body.access_token}`).send({ first_name: 'Ana' });
    expect(patched.body.first_name).toBe('Ana');
    const wrong = await request(t.app).post('/api/auth/login').send({ login: user.username, password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(errorEnvelope(wrong).message).toBe('Incorrect username or password');
  });

  it('refuses objects and arrays before they reach mysql2 (which would turn them into SQL)', async () => {
    for (const login of [{ username: 'alice_ci' }, ['alice_ci'], { $ne: null }]) {
      const res = await request(t.app).post('/api/auth/login').send({ login, password: 'x' });
      expect(res.status).toBe(422);
    }
  });

  it('takes a name of exactly 50 code points and refuses 51 with 422 (never a 500 from an overflowing column)', async () => {
    const user = await createUser(t);
    const auth = `Bearer ${(await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password })).body.access_token}`;
    const fits = await request(t.app).patch('/api/me').set('Authorization', auth).send({ first_name: '\u{1F600}'.repeat(50) });
    expect(fits.status).toBe(200);
    for (const name of ['\u{1F600}'.repeat(51), '\u2764\uFE0F'.repeat(26), 'x'.repeat(51)]) {
      const res = await request(t.app).patch('/api/me').set('Authorization', auth).send({ second_name: name });
      expect(res.status).toBe(422);
    }
  });

  it('refuses an email that outgrows VARCHAR(254) once lower-cased with 422, not 500', async () => {
    const email = `${'a'.repeat(64)}@${'\u0130'.repeat(60)}.${'\u0130'.repeat(60)}.test`;
    const res = await request(t.app).post('/api/auth/register').send({ ...userInput(), email });
    expect(res.status).toBe(422);
  });

  it('refuses half a surrogate pair in the email or a name with 422', async () => {
    for (const change of [{ email: '\uD800' }, { email: 'a\uDFFF@example.test' }, { first_name: '\uD83D' }]) {
      const res = await request(t.app).post('/api/auth/register').send({ ...userInput(), ...change });
      expect(res.status).toBe(422);
    }
  });

  it('stores last_login_at as the clock says, to the millisecond', async () => {
    const user = await createUser(t);
    await signIn(t, user);
    const row = await userRow(t, { id: user.internalId });
    expect(new Date(row.last_login_at).getTime()).toBe(t.clock.now().getTime());
  });
});
