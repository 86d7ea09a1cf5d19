import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { createApp } from '../../src/app';
import * as Users from '../../src/models/user.model';
import { Browser } from '../helpers/browser';
import { createUser } from '../helpers/factories';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { bearer } from '../helpers/mfa';
import { createCredential, getAssertion } from '../helpers/soft-authenticator';
import { totpCode } from '../helpers/totp';

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

test('no secret, code, recovery code, token or WebAuthn challenge of a whole second-factor life is ever logged, even at trace level', async () => {
  const chunks: string[] = [];
  const logger = pino({ level: 'trace', base: undefined }, new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done(); } }));
  const app = createApp({ config: t.config, db: t.db, keys: t.keys, clock: t.clock, logger });
  const user = await createUser(t);
  const secrets: string[] = [user.password];

  const login = await request(app).post('/api/auth/login').send({ login: user.username, password: user.password });
  const start = await request(app).post('/api/me/mfa/totp').set(bearer(login.body.access_token)).send({ current_password: user.password });
  const first = totpCode(start.body.secret, t.clock);
  const confirm = await request(app).post('/api/me/mfa/totp/confirm').set(bearer(login.body.access_token)).send({ code: first });
  t.clock.advance(30);
  const second = await request(app).post('/api/auth/login').send({ login: user.username, password: user.password });
  const code = totpCode(start.body.secret, t.clock);
  const done = await request(app).post('/api/auth/mfa').send({ mfa_token: second.body.mfa_token, code });
  const third = await request(app).post('/api/auth/login').send({ login: user.username, password: user.password });
  await request(app).post('/api/auth/mfa').send({ mfa_token: third.body.mfa_token, recovery_code: confirm.body.recovery_codes[0] });
  await request(app).post('/api/auth/mfa').send({ mfa_token: third.body.mfa_token, code: '000000' });
  expect(done.status).toBe(200);
  secrets.push(start.body.secret, first, code, second.body.mfa_token, done.body.access_token, ...confirm.body.recovery_codes);

  const browser = new Browser(app);
  await browser.get('/auth/login');
  await browser.submit('/auth/login', { login: user.username, password: user.password });
  await browser.get('/auth/mfa');
  t.clock.advance(30);
  await browser.submit('/auth/mfa', { code: totpCode(start.body.secret, t.clock) });
  await browser.get('/me/security/passkeys/new');
  const options = (await browser.agent.post('/me/security/passkeys/options').set('X-CSRF-Token', browser.csrf ?? '').send({})).body as PublicKeyCredentialCreationOptionsJSON;
  const { credential, response } = createCredential(options);
  await browser.submit('/me/security/passkeys', { name: 'Key', passkey_response: JSON.stringify(response) });
  const anonymous = new Browser(app);
  await anonymous.get('/auth/login');
  const signIn = (await anonymous.agent.post('/auth/passkey/options').set('X-CSRF-Token', anonymous.csrf ?? '').send({})).body as PublicKeyCredentialRequestOptionsJSON;
  expect((await anonymous.submit('/auth/passkey', { passkey_response: JSON.stringify(getAssertion(signIn, credential)) })).status).toBe(303);
  secrets.push(options.challenge, signIn.challenge, anonymous.cookie('gatehouse.webauthn') ?? 'none-left');

  const log = chunks.join('');
  expect(log.length).toBeGreaterThan(1000);
  for (const secret of secrets) expect(log).not.toContain(secret);
  // Codes are checked in the log without their dash, too.
  for (const recovery of confirm.body.recovery_codes as string[]) expect(log).not.toContain(recovery.replace('-', ''));
});

test('expired pending logins and WebAuthn challenges are pruned', async () => {
  const user = await createUser(t);
  await t.app.services.mfaLogin.begin((await Users.findUserById(t.db, user.internalId))!, null, ['totp']);
  await t.app.services.passkeys.authenticationOptions('sign_in');
  expect(await t.app.services.mfaLogin.prune()).toBe(0);
  expect(await t.app.services.passkeys.prune()).toBe(0);
  t.clock.advance(5 * 60 + 1);
  expect(await t.app.services.mfaLogin.prune()).toBeGreaterThanOrEqual(1);
  expect(await t.app.services.passkeys.prune()).toBeGreaterThanOrEqual(1);
  expect(await t.db('pending_logins').where('expires_at', '<', t.clock.now())).toHaveLength(0);
});
