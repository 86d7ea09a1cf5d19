import request from 'supertest';
import * as Users from '../../src/models/user.model';
import { decode } from './session.flows';
import { apiLogin, createUser, UserFixture } from '../helpers/factories';
import { auditEventsOf, errorEnvelope } from '../helpers/http';
import type { TestApp } from '../helpers/make-app';
import { bearer, enableTotp, mfaTokenOf } from '../helpers/mfa';
import type { TestSmtp } from '../helpers/smtp';
import { totpCode } from '../helpers/totp';

const NOTICE = 'A security setting of your account changed';

/**
 * The authenticator app, recovery codes and the login's second step through the JSON API,
 * written once and run on SQLite (test/integration/mfa-api.test.ts) and MariaDB (test/mysql/mfa.test.ts).
 */
export function defineMfaApiFlows(setup: () => Promise<{ t: TestApp; smtp: TestSmtp }>): void {
  let t: TestApp;
  let smtp: TestSmtp;
  let user: UserFixture;
  beforeAll(async () => { ({ t, smtp } = await setup()); });
  afterAll(async () => {
    await t.app.services.outbox.drain();
    await t.close();
  });
  beforeEach(async () => { user = await createUser(t); });

  const mfaStep = (body: Record<string, unknown>) => request(t.app).post('/api/auth/mfa').send(body);
  const me = (token: string) => request(t.app).get('/api/me').set(bearer(token));
  const totpRow = () => t.db('mfa_totp').where({ user_id: user.internalId }).first();

  describe('setting up the authenticator app', () => {
    test('POST /api/me/mfa/totp with the current password answers a secret and an otpauth URL, and nothing is on until confirmed', async () => {
      const { access_token: token } = await apiLogin(t, user);
      const res = await request(t.app).post('/api/me/mfa/totp').set(bearer(token)).send({ current_password: user.password });
      expect(res.status).toBe(200);
      expect(res.body.secret).toMatch(/^[A-Z2-7]{32}$/);
      // SHA-1, 6 digits, 30 s: the defaults every app assumes, so the URL leaves them out.
      expect(res.body.otpauth_url).toBe(`otpauth://totp/Gatehouse:${user.username}?secret=${res.body.secret}&issuer=Gatehouse`);
      expect((await me(token)).body.mfa).toEqual({ totp: false, passkeys: 0, recovery_codes_left: 0 });
      const row = await totpRow();
      expect(row.confirmed_at).toBeNull();
      // Sealed at rest: neither the secret nor its base32 letters are in the row.
      expect(row.secret_sealed).toMatch(/^v1\.[\w-]{8}\.[\w-]+\.[\w-]+$/);
      expect(row.secret_sealed).not.toContain(res.body.secret);
      expect((await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password })).body.access_token).toEqual(expect.any(String));
    });

    test('a wrong current password is refused with 422 at the field and stores nothing', async () => {
      const { access_token: token } = await apiLogin(t, user);
      const res = await request(t.app).post('/api/me/mfa/totp').set(bearer(token)).send({ current_password: 'not my password at all' });
      expect(res.status).toBe(422);
      expect(errorEnvelope(res).fields).toEqual({ current_password: 'Your current password is not correct.' });
      expect(await totpRow()).toBeUndefined();
    });

    test('the first code turns it on and answers ten recovery codes, stored only as digests; audited and mailed', async () => {
      const { access_token: token } = await apiLogin(t, user);
      const { body: { secret } } = await request(t.app).post('/api/me/mfa/totp').set(bearer(token)).send({ current_password: user.password });
      const wrong = await request(t.app).post('/api/me/mfa/totp/confirm').set(bearer(token)).send({ code: totpCode(secret, t.clock, 3) });
      expect(wrong.status).toBe(422);
      expect((await totpRow()).confirmed_at).toBeNull();

      const res = await request(t.app).post('/api/me/mfa/totp/confirm').set(bearer(token)).send({ code: totpCode(secret, t.clock) });
      expect(res.status).toBe(200);
      expect(res.body.recovery_codes).toHaveLength(10);
      expect(new Set(res.body.recovery_codes).size).toBe(10);
      for (const code of res.body.recovery_codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
      expect((await me(token)).body.mfa).toEqual({ totp: true, passkeys: 0, recovery_codes_left: 10 });
      const digests = (await t.db('mfa_recovery_codes').where({ user_id: user.internalId })).map((row) => row.code_digest);
      expect(digests).toHaveLength(10);
      for (const code of res.body.recovery_codes) expect(JSON.stringify(digests)).not.toContain(code.replace('-', ''));
      expect(await auditEventsOf(t, user.internalId)).toContain('totp_enabled');
      const mail = await smtp.next(user.email, NOTICE);
      expect(mail.text).toContain('An authenticator app was set up as a second factor for your account.');
      expect(mail.text).not.toContain(secret);
    });

    test('setting up again while it is on is refused with 409', async () => {
      const { accessToken } = await enableTotp(t, user);
      const res = await request(t.app).post('/api/me/mfa/totp').set(bearer(accessToken)).send({ current_password: user.password });
      expect(res.status).toBe(409);
      expect(errorEnvelope(res).message).toMatch(/already set up/);
    });
  });

  describe('turning it off', () => {
    test('DELETE needs the current password and a code: without either it is refused and stays on', async () => {
      const { accessToken, secret } = await enableTotp(t, user);
      const noCode = await request(t.app).delete('/api/me/mfa/totp').set(bearer(accessToken)).send({ current_password: user.password });
      expect(noCode.status).toBe(422);
      const wrongPassword = await request(t.app).delete('/api/me/mfa/totp').set(bearer(accessToken)).send({ current_password: 'wrong wrong wrong', code: totpCode(secret, t.clock) });
      expect(wrongPassword.status).toBe(422);
      expect(errorEnvelope(wrongPassword).fields).toEqual({ current_password: 'Your current password is not correct.' });
      const wrongCode = await request(t.app).delete('/api/me/mfa/totp').set(bearer(accessToken)).send({ current_password: user.password, code: totpCode(secret, t.clock, 5) });
      expect(wrongCode.status).toBe(422);
      expect(errorEnvelope(wrongCode).fields).toEqual({ code: 'That code is not correct, or it has already been used.' });
      expect((await totpRow()).confirmed_at).not.toBeNull();
    });

    test('with the password and a current code: 204, the app and its recovery codes are gone, audited and mailed', async () => {
      const { accessToken, secret } = await enableTotp(t, user);
      await smtp.next(user.email, NOTICE);
      const res = await request(t.app).delete('/api/me/mfa/totp').set(bearer(accessToken)).send({ current_password: user.password, code: totpCode(secret, t.clock) });
      expect(res.status).toBe(204);
      expect(await totpRow()).toBeUndefined();
      expect(await t.db('mfa_recovery_codes').where({ user_id: user.internalId })).toHaveLength(0);
      expect((await me(accessToken)).body.mfa).toEqual({ totp: false, passkeys: 0, recovery_codes_left: 0 });
      expect(await auditEventsOf(t, user.internalId)).toEqual(expect.arrayContaining(['totp_enabled', 'totp_disabled']));
      expect((await smtp.next(user.email, NOTICE)).text).toContain('The authenticator app was turned off');
      const login = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
      expect(login.body.access_token).toEqual(expect.any(String));
    });

    test('a recovery code also turns it off, and is used up doing so', async () => {
      const { accessToken, recoveryCodes } = await enableTotp(t, user);
      const res = await request(t.app).delete('/api/me/mfa/totp').set(bearer(accessToken)).send({ current_password: user.password, recovery_code: recoveryCodes[0] });
      expect(res.status).toBe(204);
      expect(await auditEventsOf(t, user.internalId)).toEqual(expect.arrayContaining(['recovery_code_used', 'totp_disabled']));
    });
  });

  describe('login with a second factor', () => {
    test('the right password answers mfa_required with a token and the methods, and no session exists yet', async () => {
      await enableTotp(t, user);
      const sessionsBefore = await t.db('refresh_sessions').where({ user_id: user.internalId });
      const res = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ mfa_required: true, mfa_token: expect.stringMatching(/^[\w-]{43}$/), methods: ['totp', 'recovery_code'], expires_in: 300 });
      expect(res.body.access_token).toBeUndefined();
      expect(await t.db('refresh_sessions').where({ user_id: user.internalId })).toHaveLength(sessionsBefore.length);
      // Only a digest of the token is stored.
      expect(JSON.stringify(await t.db('pending_logins').where({ user_id: user.internalId }))).not.toContain(res.body.mfa_token);
    });

    test('the right code returns the usual token pair; the access token says pwd, otp, mfa and when', async () => {
      const { secret } = await enableTotp(t, user);
      const res = await mfaStep({ mfa_token: await mfaTokenOf(t, user), code: totpCode(secret, t.clock) });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'Bearer', expires_in: 900, user: expect.objectContaining({ username: user.username }) });
      const claims = decode(res.body.access_token);
      expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
      expect(claims.auth_time).toBe(Math.floor(t.clock.now().getTime() / 1000));
      expect((await me(res.body.access_token)).status).toBe(200);
      // A refresh keeps how and when the user signed in.
      t.clock.advance(60);
      const refreshed = await request(t.app).post('/api/auth/refresh').send({ refresh_token: res.body.refresh_token });
      expect(decode(refreshed.body.access_token)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], auth_time: claims.auth_time });
      const login = await t.db('audit_events').where({ user_id: user.internalId, event: 'logged_in' }).orderBy('id', 'desc').first();
      // The sign-in's refresh family too: the user's activity links the entry to its session (docs/account.md).
      expect(JSON.parse(login.details)).toEqual({ amr: ['pwd', 'otp', 'mfa'], family: decode(refreshed.body.access_token).sid });
    });

    test('a password sign-in without a second factor says pwd', async () => {
      const { access_token: token } = await apiLogin(t, user);
      expect(decode(token)).toMatchObject({ amr: ['pwd'], auth_time: Math.floor(t.clock.now().getTime() / 1000) });
    });

    test('a code one step early or late is accepted (clock drift); two steps away it is refused with 401', async () => {
      const { secret } = await enableTotp(t, user);
      const far = await mfaStep({ mfa_token: await mfaTokenOf(t, user), code: totpCode(secret, t.clock, 2) });
      expect(far.status).toBe(401);
      expect(errorEnvelope(far)).toMatchObject({ code: 'invalid_code', message: 'That code is not correct, or it has already been used.' });
      expect((await mfaStep({ mfa_token: await mfaTokenOf(t, user), code: totpCode(secret, t.clock, 1) })).status).toBe(200);
      t.clock.advance(90);
      expect((await mfaStep({ mfa_token: await mfaTokenOf(t, user), code: totpCode(secret, t.clock, -1) })).status).toBe(200);
    });

    test('a code that was used once is refused (replay), and so is any code of an earlier step', async () => {
      const { secret } = await enableTotp(t, user);
      const code = totpCode(secret, t.clock);
      expect((await mfaStep({ mfa_token: await mfaTokenOf(t, user), code })).status).toBe(200);
      const replay = await mfaStep({ mfa_token: await mfaTokenOf(t, user), code });
      expect(replay.status).toBe(401);
      expect(errorEnvelope(replay).code).toBe('invalid_code');
      const earlier = await mfaStep({ mfa_token: await mfaTokenOf(t, user), code: totpCode(secret, t.clock, -1) });
      expect(earlier.status).toBe(401);
      expect(await auditEventsOf(t, user.internalId)).toEqual(expect.arrayContaining(['login_failed']));
    });

    test('two requests with one right code at once: exactly one signs in', async () => {
      const { secret } = await enableTotp(t, user);
      const code = totpCode(secret, t.clock);
      const [a, b] = await Promise.all([mfaTokenOf(t, user), mfaTokenOf(t, user)]);
      const results = await Promise.all([mfaStep({ mfa_token: a, code }), mfaStep({ mfa_token: b, code })]);
      expect(results.map((res) => res.status).sort()).toEqual([200, 401]);
    });

    test('an mfa_token works once, for five minutes, and for five wrong codes at most', async () => {
      const { secret } = await enableTotp(t, user);
      const once = await mfaTokenOf(t, user);
      expect((await mfaStep({ mfa_token: once, code: totpCode(secret, t.clock) })).status).toBe(200);
      t.clock.advance(30);
      const again = await mfaStep({ mfa_token: once, code: totpCode(secret, t.clock) });
      expect(again.status).toBe(401);
      expect(errorEnvelope(again).code).toBe('mfa_token_invalid');

      const late = await mfaTokenOf(t, user);
      t.clock.advance(5 * 60 + 1);
      expect(errorEnvelope(await mfaStep({ mfa_token: late, code: totpCode(secret, t.clock) })).code).toBe('mfa_token_invalid');

      const guessed = await mfaTokenOf(t, user);
      for (let i = 0; i < 5; i += 1) expect((await mfaStep({ mfa_token: guessed, code: '000000' === totpCode(secret, t.clock) ? '111111' : '000000' })).status).toBe(401);
      expect(errorEnvelope(await mfaStep({ mfa_token: guessed, code: totpCode(secret, t.clock) })).code).toBe('mfa_token_invalid');
    });

    test('a disabled account, or a password changed meanwhile, cannot finish the second step', async () => {
      const { secret } = await enableTotp(t, user);
      const token = await mfaTokenOf(t, user);
      await Users.updateUser(t.db, user.internalId, { is_active: false }, t.clock.now());
      await t.app.services.sessions.forgetCachedState(user.internalId);
      const disabled = await mfaStep({ mfa_token: token, code: totpCode(secret, t.clock) });
      expect(disabled.status).toBe(401);
      expect(errorEnvelope(disabled).code).toBe('mfa_token_invalid');

      await Users.updateUser(t.db, user.internalId, { is_active: true }, t.clock.now());
      const second = await mfaTokenOf(t, user);
      await Users.bumpTokenVersion(t.db, user.internalId, t.clock.now());
      expect(errorEnvelope(await mfaStep({ mfa_token: second, code: totpCode(secret, t.clock) })).code).toBe('mfa_token_invalid');
    });

    test('a recovery code signs in once; the same code again is refused; audited and mailed', async () => {
      const { recoveryCodes } = await enableTotp(t, user);
      await smtp.next(user.email, NOTICE);
      // Typed lower-case and without the dash, as people do.
      const typed = recoveryCodes[0]!.toLowerCase().replace('-', '');
      const res = await mfaStep({ mfa_token: await mfaTokenOf(t, user), recovery_code: typed });
      expect(res.status).toBe(200);
      expect(decode(res.body.access_token).amr).toEqual(['pwd', 'mfa']);
      expect((await me(res.body.access_token)).body.mfa.recovery_codes_left).toBe(9);
      const again = await mfaStep({ mfa_token: await mfaTokenOf(t, user), recovery_code: recoveryCodes[0] });
      expect(again.status).toBe(401);
      expect(errorEnvelope(again).message).toBe('That recovery code is not correct, or it has already been used.');
      expect(await auditEventsOf(t, user.internalId)).toContain('recovery_code_used');
      expect((await smtp.next(user.email, NOTICE)).text).toContain('One of your recovery codes was used');
    });

    test('new recovery codes void the old set', async () => {
      const { accessToken, recoveryCodes } = await enableTotp(t, user);
      const res = await request(t.app).post('/api/me/mfa/recovery-codes').set(bearer(accessToken)).send({ current_password: user.password });
      expect(res.status).toBe(200);
      expect(res.body.recovery_codes).toHaveLength(10);
      expect((await mfaStep({ mfa_token: await mfaTokenOf(t, user), recovery_code: recoveryCodes[1] })).status).toBe(401);
      expect((await mfaStep({ mfa_token: await mfaTokenOf(t, user), recovery_code: res.body.recovery_codes[1] })).status).toBe(200);
      expect(await auditEventsOf(t, user.internalId)).toContain('recovery_codes_generated');
    });

    test.each([
      ['no code at all', (token: string) => ({ mfa_token: token })],
      ['both kinds of code', (token: string) => ({ mfa_token: token, code: '123456', recovery_code: 'ABCDE-12345' })],
      ['a code that is not six digits', (token: string) => ({ mfa_token: token, code: '12345a' })],
      ['a code as a number', (token: string) => ({ mfa_token: token, code: 123456 })],
      ['a code as an array', (token: string) => ({ mfa_token: token, code: ['123456'] })],
      ['the token as an object', () => ({ mfa_token: { $ne: '' }, code: '123456' })],
      ['a recovery code of the wrong shape', (token: string) => ({ mfa_token: token, recovery_code: 'not-a-code!' })],
    ])('POST /api/auth/mfa with %s is refused with 422 and changes nothing', async (_name, body) => {
      await enableTotp(t, user);
      const token = await mfaTokenOf(t, user);
      const before = await t.db('pending_logins').where({ user_id: user.internalId }).orderBy('id');
      const res = await mfaStep(body(token) as Record<string, unknown>);
      expect(res.status).toBe(422);
      expect(errorEnvelope(res).code).toBe('validation_failed');
      expect(await t.db('pending_logins').where({ user_id: user.internalId }).orderBy('id')).toEqual(before);
    });

    test('an unknown mfa_token is refused with 401 mfa_token_invalid', async () => {
      const res = await mfaStep({ mfa_token: 'x'.repeat(43), code: '123456' });
      expect(res.status).toBe(401);
      expect(errorEnvelope(res).code).toBe('mfa_token_invalid');
    });
  });
}
