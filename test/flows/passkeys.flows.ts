import request from 'supertest';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { Browser } from '../helpers/browser';
import { createUser, signIn, UserFixture } from '../helpers/factories';
import { auditEventsOf, isCleared, setCookie } from '../helpers/http';
import type { TestApp } from '../helpers/make-app';
import { codesOnPage, passwordStep } from '../helpers/mfa';
import { createCredential, getAssertion, SoftCredential } from '../helpers/soft-authenticator';
import type { TestSmtp } from '../helpers/smtp';
import { decode } from './session.flows';

/** A script's POST from the current page: JSON, with the page's CSRF token in the header. */
async function postJson<T>(browser: Browser, path: string): Promise<{ status: number; body: T }> {
  const res = await browser.agent.post(path).set('X-CSRF-Token', browser.csrf ?? '').set('Accept', 'application/json').send({});
  return { status: res.status, body: res.body as T };
}

/**
 * Passkeys with a software authenticator (real keys and signatures, verified by
 * @simplewebauthn/server), on SQLite (test/integration/passkeys.test.ts) and MariaDB.
 */
export function definePasskeyFlows(setup: () => Promise<{ t: TestApp; smtp: TestSmtp }>): void {
  let t: TestApp;
  let user: UserFixture;
  beforeAll(async () => { ({ t } = await setup()); });
  afterAll(async () => {
    await t.app.services.outbox.drain();
    await t.close();
  });
  beforeEach(async () => { user = await createUser(t); });

  /** Adds a passkey from the Security page, as public/js/passkeys.js does. */
  async function addPasskey(browser: Browser, name = 'Laptop') {
    await browser.get('/me/security/passkeys/new');
    const { status, body: options } = await postJson<PublicKeyCredentialCreationOptionsJSON>(browser, '/me/security/passkeys/options');
    expect(status).toBe(200);
    const { credential, response } = createCredential(options);
    const res = await browser.submit('/me/security/passkeys', { name, passkey_response: JSON.stringify(response) });
    return { credential, res, options };
  }

  /** The login page's "Sign in with a passkey": options, the authenticator's answer, the form. */
  async function passkeySignIn(credential: SoftCredential, soft: Parameters<typeof getAssertion>[2] = {}, browser = new Browser(t.app), extra: Record<string, string> = {}) {
    await browser.get('/auth/login');
    const { body: options } = await postJson<PublicKeyCredentialRequestOptionsJSON>(browser, '/auth/passkey/options');
    const assertion = getAssertion(options, credential, soft);
    const res = await browser.submit('/auth/passkey', { passkey_response: JSON.stringify(assertion), ...extra });
    return { browser, res, options, assertion };
  }

  const passkeyRows = (who: UserFixture) => t.db('passkeys').where({ user_id: who.internalId });

  describe('adding and removing', () => {
    test('the first passkey is stored with its public key and comes with ten recovery codes; audited', async () => {
      const browser = await signIn(t, user);
      const { credential, res, options } = await addPasskey(browser);
      expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required' });
      expect(options.rp).toEqual({ name: 'Gatehouse', id: '127.0.0.1' });
      expect(res.status).toBe(200);
      expect(codesOnPage(res.text)).toHaveLength(10);
      expect(res.text).toContain('Passkey &#34;Laptop&#34; added.');
      const [row] = await passkeyRows(user);
      expect(row).toMatchObject({ credential_id: credential.id, name: 'Laptop', counter: 0 });
      expect(row.public_key).toMatch(/^[\w-]+$/);
      expect((await browser.get('/api/me')).body.mfa).toEqual({ totp: false, passkeys: 1, recovery_codes_left: 10 });
      expect(await auditEventsOf(t, user.internalId)).toContain('passkey_added');
      // The ceremony's cookie is spent with its challenge.
      expect(isCleared(setCookie(res, 'gatehouse.webauthn'))).toBe(true);
    });

    test('a second passkey keeps the codes, and the options exclude the first', async () => {
      const browser = await signIn(t, user);
      const first = await addPasskey(browser);
      const second = await addPasskey(browser, 'Phone');
      expect(second.options.excludeCredentials?.map((entry) => entry.id)).toEqual([first.credential.id]);
      expect(second.res.status).toBe(303);
      expect((await browser.get('/me/security')).text).toContain('Passkey &#34;Phone&#34; added.');
      expect(await passkeyRows(user)).toHaveLength(2);
    });

    test('a registration answer for another challenge, or a malformed one, is refused and stores nothing', async () => {
      const browser = await signIn(t, user);
      await browser.get('/me/security/passkeys/new');
      const { body: options } = await postJson<PublicKeyCredentialCreationOptionsJSON>(browser, '/me/security/passkeys/options');
      const { response } = createCredential({ ...options, challenge: 'b3RoZXItY2hhbGxlbmdl' });
      const wrong = await browser.submit('/me/security/passkeys', { name: 'Laptop', passkey_response: JSON.stringify(response) });
      expect(wrong.status).toBe(422);
      expect(wrong.text).toContain('That passkey could not be verified.');
      for (const bad of ['{}', 'not json', JSON.stringify({ id: { $ne: 1 }, type: 'public-key', response: {} }), JSON.stringify([1, 2])]) {
        expect((await browser.submit('/me/security/passkeys', { name: 'Laptop', passkey_response: bad })).status).toBe(422);
      }
      expect((await browser.submit('/me/security/passkeys', { name: '', passkey_response: JSON.stringify(response) })).status).toBe(422);
      expect(await passkeyRows(user)).toHaveLength(0);
    });

    test('removing the last passkey removes the recovery codes too; another user\'s passkey id is a 404', async () => {
      const browser = await signIn(t, user);
      await addPasskey(browser);
      const [row] = await passkeyRows(user);
      const stranger = await signIn(t, await createUser(t));
      await stranger.get('/me/security');
      expect((await stranger.submit(`/me/security/passkeys/${row.id}/delete`, {})).status).toBe(404);
      await browser.get('/me/security');
      const res = await browser.submit(`/me/security/passkeys/${row.id}/delete`, {});
      expect(res.status).toBe(303);
      expect(await passkeyRows(user)).toHaveLength(0);
      expect(await t.db('mfa_recovery_codes').where({ user_id: user.internalId })).toHaveLength(0);
      expect(await auditEventsOf(t, user.internalId)).toContain('passkey_removed');
      expect((await browser.submit('/me/security/passkeys/abc/delete', {})).status).toBe(404);
    });
  });

  describe('signing in with a passkey alone', () => {
    test('no username, no password: the discoverable credential signs in; the token says hwk and mfa', async () => {
      const { credential } = await addPasskey(await signIn(t, user));
      const { browser, res, options } = await passkeySignIn(credential);
      expect(options.allowCredentials).toEqual([]);
      expect(options.userVerification).toBe('required');
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/me');
      expect(decode(setCookie(res, 'access_token')!.value).amr).toEqual(['hwk', 'mfa']);
      expect((await browser.get('/me')).status).toBe(200);
      expect((await passkeyRows(user))[0].counter).toBe(1);
      // The login page's "Remember me" box was not ticked (its script copies it into this form).
      expect(setCookie(res, 'refresh_token')!.attributes['max-age']).toBeUndefined();
    });

    test('with "Remember me" ticked, the passkey sign-in is a persistent one', async () => {
      const { credential } = await addPasskey(await signIn(t, user));
      const { res } = await passkeySignIn(credential, {}, new Browser(t.app), { remember: '1' });
      expect(res.status).toBe(303);
      expect(setCookie(res, 'refresh_token')!.attributes['max-age']).toBe(String(t.config.jwt.refreshTtlSeconds));
    });

    test('the same answer twice is refused: the challenge was used', async () => {
      const { credential } = await addPasskey(await signIn(t, user));
      const { browser, assertion } = await passkeySignIn(credential);
      await browser.get('/me');
      expect((await browser.submit('/auth/logout', {})).status).toBe(303);
      await browser.get('/auth/login');
      const replay = await browser.submit('/auth/passkey', { passkey_response: JSON.stringify(assertion) });
      expect(replay.status).toBe(401);
      expect(replay.text).toContain('That passkey could not be verified.');
    });

    test.each([
      ['without user verification', { userVerified: false }],
      ['from another origin', { origin: 'https://evil.example' }],
      ['for another RP ID', { rpId: 'evil.example' }],
      ['with a counter that went backwards (a cloned authenticator)', { counter: 0 }],
    ])('an answer %s is refused with 401 and audited', async (_name, soft) => {
      const { credential } = await addPasskey(await signIn(t, user));
      if ('counter' in soft) await passkeySignIn(credential);
      const { res } = await passkeySignIn(credential, soft);
      expect(res.status).toBe(401);
      expect(setCookie(res, 'access_token')).toBeUndefined();
      const failed = await t.db('audit_events').where({ event: 'login_failed' }).orderBy('id', 'desc').first();
      expect(JSON.parse(failed.details)).toEqual({ reason: 'passkey' });
    });

    test('an answer after five minutes is refused: the challenge expired', async () => {
      const { credential } = await addPasskey(await signIn(t, user));
      const browser = new Browser(t.app);
      await browser.get('/auth/login');
      const { body: options } = await postJson<PublicKeyCredentialRequestOptionsJSON>(browser, '/auth/passkey/options');
      t.clock.advance(5 * 60 + 1);
      const res = await browser.submit('/auth/passkey', { passkey_response: JSON.stringify(getAssertion(options, credential)) });
      expect(res.status).toBe(401);
    });

    test('an answer from another browser than the one the challenge went to is refused', async () => {
      const { credential } = await addPasskey(await signIn(t, user));
      const asked = new Browser(t.app);
      await asked.get('/auth/login');
      const { body: options } = await postJson<PublicKeyCredentialRequestOptionsJSON>(asked, '/auth/passkey/options');
      const other = new Browser(t.app);
      await other.get('/auth/login');
      expect((await other.submit('/auth/passkey', { passkey_response: JSON.stringify(getAssertion(options, credential)) })).status).toBe(401);
    });

    test('a disabled account cannot sign in with its passkey', async () => {
      const { credential } = await addPasskey(await signIn(t, user));
      await t.db('users').where({ id: user.internalId }).update({ is_active: false });
      expect((await passkeySignIn(credential)).res.status).toBe(401);
    });
  });

  describe('a passkey as the second factor', () => {
    test('after the password, the prompt offers the passkey; its options list only this user\'s credentials', async () => {
      const { credential } = await addPasskey(await signIn(t, user));
      const { browser, res } = await passwordStep(t, user);
      expect(res.headers.location).toBe('/auth/mfa');
      const prompt = await browser.get('/auth/mfa');
      expect(prompt.text).toContain('data-options-url="/auth/mfa/passkey-options"');
      expect(prompt.text).toContain('/js/passkeys.js');
      const { body: options } = await postJson<PublicKeyCredentialRequestOptionsJSON>(browser, '/auth/mfa/passkey-options');
      expect(options.allowCredentials?.map((entry) => entry.id)).toEqual([credential.id]);
      const done = await browser.submit('/auth/mfa', { passkey_response: JSON.stringify(getAssertion(options, credential)) });
      expect(done.status).toBe(303);
      expect(decode(setCookie(done, 'access_token')!.value).amr).toEqual(['pwd', 'hwk', 'mfa']);
    });

    test('another user\'s passkey does not pass this user\'s second step', async () => {
      await addPasskey(await signIn(t, user));
      const other = await createUser(t);
      const { credential: theirs } = await addPasskey(await signIn(t, other));
      const { browser } = await passwordStep(t, user);
      await browser.get('/auth/mfa');
      const { body: options } = await postJson<PublicKeyCredentialRequestOptionsJSON>(browser, '/auth/mfa/passkey-options');
      const res = await browser.submit('/auth/mfa', { passkey_response: JSON.stringify(getAssertion(options, theirs)) });
      expect(res.status).toBe(401);
      expect(setCookie(res, 'access_token')).toBeUndefined();
    });

    test('a passkey also confirms a sensitive action (sudo mode), and the held form goes through', async () => {
      const browser = await signIn(t, user);
      const { credential } = await addPasskey(browser);
      t.clock.advance(10 * 60 + 1);
      await browser.get('/me/security');
      const page = await browser.submit('/me/security/recovery-codes', {});
      expect(page.text).toContain('data-options-url="/me/confirm/passkey-options"');
      const { body: options } = await postJson<PublicKeyCredentialRequestOptionsJSON>(browser, '/me/confirm/passkey-options');
      const held = /name="held" value="([^"]*)"/.exec(page.text)![1]!;
      const fields = { return_to: '/me/security/recovery-codes', held, passkey_response: JSON.stringify(getAssertion(options, credential)) };
      const confirm = await browser.submit('/me/confirm', fields);
      expect(confirm.status).toBe(307);
      const resumed = await browser.submit(confirm.headers.location!, fields);
      expect(codesOnPage(resumed.text)).toHaveLength(10);
    });

    test('the API, which cannot use a passkey, lists only the recovery codes as its methods', async () => {
      await addPasskey(await signIn(t, user));
      const res = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
      expect(res.body).toMatchObject({ mfa_required: true, methods: ['recovery_code'] });
    });
  });
}
