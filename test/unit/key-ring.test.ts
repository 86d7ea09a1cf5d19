import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import { retireKey, rotateKeys } from '../../src/cli/key-rotation';
import { ConfigError, loadConfig, ROOT_DIR } from '../../src/config/env';
import { writePreviousKey } from '../../src/config/key-files';
import { parseKeyPair } from '../../src/config/key-material';
import { generateKeyPairPem, KeyRing, liveSecrets, loadKeys, verificationKeyFor } from '../../src/config/keys';
import { previousKeyFile } from '../../src/config/previous-keys';
import { secondsSinceEpoch } from '../../src/lib/clock';
import { createTokenService, refreshTokenKeys, TokenError } from '../../src/services/token.service';
import { decodeParts, signWithAppKey } from '../helpers/jwt-forge';
import { KeyDir, makeKeyDir } from '../helpers/key-dir';
import { createTestClock, TEST_ENV } from '../helpers/make-app';

const subject = { public_id: '0b7a3c52-4a4e-4c38-9a53-0f7f3c1d2e11', username: 'alice', is_reader: true, is_author: false, is_admin: false, token_version: 1 };
const FAMILY = '6f1c2d3e-0000-4000-8000-000000000001';

function reasonOf(verify: () => unknown): string {
  try {
    verify();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenError);
    return (error as TokenError).reason;
  }
  return 'accepted';
}

const kidOf = (token: string) => decodeParts(token).header.kid;

/** A genuine signature by `key` under any kid. */
const signAs = (algorithm: 'RS256' | 'ES256' | 'HS256', key: KeyObject, kid: string, payload: Record<string, unknown>) =>
  jwt.sign(payload, key, { algorithm, keyid: kid });

describe.each(['RS256', 'ES256'] as const)('the key ring with %s', (algorithm) => {
  let keyDir: KeyDir;
  let ring: KeyRing;
  const clock = createTestClock(new Date('2026-12-07T10:00:00Z'));
  const config = () => keyDir.config();
  beforeEach(() => {
    keyDir = makeKeyDir(algorithm);
    ring = loadKeys(config(), { clock });
  });
  afterEach(() => keyDir.cleanup());

  it('loads the current pair and every previous key: both verify and both are in the JWKS, the current one first', () => {
    const before = ring.kid;
    const { kid } = rotateKeys(config(), clock);
    const loaded = loadKeys(config(), { clock });
    expect(loaded.kid).toBe(kid);
    expect([...loaded.verificationKeys.keys()]).toEqual([kid, before]);
    expect(loaded.jwks.keys.map((key) => key.kid)).toEqual([kid, before]);
    expect(loaded.jwks.keys.every((key) => key.alg === algorithm && !('d' in key))).toBe(true);
  });

  it('changes nothing on reload when no file changed: same version, same derived secrets', async () => {
    const secrets = liveSecrets(ring, 'csrf');
    const first = secrets();
    expect(await ring.reload()).toEqual({ status: 'unchanged' });
    expect(await ring.reload()).toEqual({ status: 'unchanged' });
    expect(ring.version).toBe(1);
    expect(secrets()).toBe(first);
  });

  it('after a rotation, signs with the new kid and still verifies, with the old key only, what the old key signed', async () => {
    const tokens = createTokenService(config().jwt, ring, clock);
    const oldAccess = tokens.signAccessToken(subject, FAMILY).token;
    const oldRefresh = tokens.signRefreshToken(subject.public_id, FAMILY).token;
    const oldKid = ring.kid;

    const { kid } = rotateKeys(config(), clock);
    expect(await ring.reload()).toEqual({ status: 'changed', kid, previous: [oldKid] });
    expect(ring.version).toBe(2);

    const fresh = tokens.signAccessToken(subject, FAMILY).token;
    expect(kidOf(fresh)).toBe(kid);
    expect(reasonOf(() => tokens.verifyAccessToken(fresh))).toBe('accepted');
    expect(reasonOf(() => tokens.verifyAccessToken(oldAccess))).toBe('accepted');
    expect(reasonOf(() => tokens.verifyRefreshToken(oldRefresh))).toBe('accepted');
    // Signed by the new key but naming the old one: a kid names the one key a token may verify with.
    const relabelled = signWithAppKey(ring, decodeParts(fresh).payload, { kid: oldKid });
    expect(reasonOf(() => tokens.verifyAccessToken(relabelled))).toBe('invalid');
  });

  it('refuses a pair caught half-way through a rotation, keeps its keys, and takes the pair once it is whole', async () => {
    const oldKid = ring.kid;
    const outgoing = parseKeyPair(algorithm, fs.readFileSync(keyDir.env.JWT_PRIVATE_KEY_FILE!, 'utf8'), fs.readFileSync(keyDir.env.JWT_PUBLIC_KEY_FILE!, 'utf8'));
    writePreviousKey(config().jwt.previousKeysDir, previousKeyFile(algorithm, outgoing, clock.now()));
    const pems = generateKeyPairPem(algorithm);
    fs.writeFileSync(keyDir.env.JWT_PRIVATE_KEY_FILE!, pems.privatePem);

    const outcome = await ring.reload();
    expect(outcome).toEqual({ status: 'failed', problem: 'JWT_PUBLIC_KEY_FILE is not the public half of JWT_PRIVATE_KEY_FILE' });
    expect(ring.kid).toBe(oldKid);
    expect(ring.version).toBe(1);
    expect(await ring.reload()).toMatchObject({ status: 'failed' });

    fs.writeFileSync(keyDir.env.JWT_PUBLIC_KEY_FILE!, pems.publicPem);
    expect(await ring.reload()).toEqual({ status: 'changed', kid: parseKeyPair(algorithm, pems.privatePem, pems.publicPem).kid, previous: [oldKid] });
  });

  it('drops a retired key at the next reload: its tokens are refused as an unknown kid, and the verified-token cache forgets them', async () => {
    const tokens = createTokenService(config().jwt, ring, clock);
    const oldAccess = tokens.signAccessToken(subject, FAMILY).token;
    expect(reasonOf(() => tokens.verifyAccessToken(oldAccess))).toBe('accepted'); // now cached
    const { kid, previousKid } = rotateKeys(config(), clock);
    await ring.reload();
    expect(reasonOf(() => tokens.verifyAccessToken(oldAccess))).toBe('accepted');

    retireKey(config(), previousKid, { force: true }, clock);
    expect(await ring.reload()).toEqual({ status: 'changed', kid, previous: [] });
    expect(ring.jwks.keys.map((key) => key.kid)).toEqual([kid]);
    expect(verificationKeyFor(ring, previousKid, secondsSinceEpoch(clock))).toBeUndefined();
    expect(reasonOf(() => tokens.verifyAccessToken(oldAccess))).toBe('invalid');
  });

  it('refuses a previous key from its retirement on, even while its file is still there, and then drops it from the JWKS', async () => {
    // Refresh tokens are HMAC-signed under a secret derived from the signing key (token.service.ts).
    const oldRefreshKeys = refreshTokenKeys(ring);
    const { previousKid } = rotateKeys(config(), clock);
    await ring.reload();
    const retiresAt = ring.retiresAt.get(previousKid)!;
    // The longest lifetime (7 d refresh) + one reload interval (10 s) + a minute of clock leeway.
    expect(retiresAt).toBe(secondsSinceEpoch(clock) + 7 * 86400 + 10 + 60);

    // A token of the old key that outlives its retirement (none can, unless an instance went on
    // signing with it): genuine, unexpired, and refused only because its key has retired.
    const tokens = createTokenService(config().jwt, ring, clock);
    const longLived = signAs('HS256', oldRefreshKeys.signingKey, oldRefreshKeys.kid, {
      sub: subject.public_id, type: 'refresh', fam: FAMILY, jti: 'j', iat: secondsSinceEpoch(clock), exp: retiresAt + 3600, iss: 'gatehouse', aud: 'gatehouse',
    });
    clock.advance(retiresAt - 1 - secondsSinceEpoch(clock));
    expect(reasonOf(() => tokens.verifyRefreshToken(longLived))).toBe('accepted');
    clock.advance(1);
    expect(verificationKeyFor(ring, previousKid, secondsSinceEpoch(clock))).toBeUndefined();
    expect(reasonOf(() => tokens.verifyRefreshToken(longLived))).toBe('invalid');
    expect(await ring.reload()).toEqual({ status: 'changed', kid: ring.kid, previous: [] });
    expect(ring.jwks.keys).toHaveLength(1);
    expect(fs.existsSync(path.join(config().jwt.previousKeysDir, `${previousKid}.json`))).toBe(true);
  });

  it('refuses a token naming a kid it does not hold', () => {
    const tokens = createTokenService(config().jwt, ring, clock);
    const { payload } = decodeParts(tokens.signAccessToken(subject, FAMILY).token);
    expect(verificationKeyFor(ring, 'A'.repeat(43), secondsSinceEpoch(clock))).toBeUndefined();
    expect(reasonOf(() => tokens.verifyAccessToken(signWithAppKey(ring, payload, { kid: 'A'.repeat(43) })))).toBe('invalid');
  });

  describe('refuses a damaged previous-key file', () => {
    const secretLooking = 'do-not-log-this-value';
    const cases: [string, (kid: string, file: Record<string, string>) => string, RegExp][] = [
      ['that is not JSON', () => `{"secret": "${secretLooking}"`, /is not valid JSON$/],
      ['that holds a private key', (_kid, file) => JSON.stringify({ ...file, publicKey: generateKeyPairPem(algorithm).privatePem }), /holds a private key/],
      ['named after another key', (_kid, file) => JSON.stringify({ ...file, publicKey: generateKeyPairPem(algorithm).publicPem }), /is not named after the thumbprint/],
      ['of another algorithm', (_kid, file) => JSON.stringify({ ...file, alg: algorithm === 'RS256' ? 'ES256' : 'RS256' }), /but JWT_ALGORITHM is/],
      ['whose secret is not 32 bytes', (_kid, file) => JSON.stringify({ ...file, secret: secretLooking }), /secret that is not 32 bytes/],
    ];

    it.each(cases)('%s: at start-up naming the file and never quoting it; while running, by keeping the keys', async (_name, damage, message) => {
      const { previousKid } = rotateKeys(config(), clock);
      await ring.reload();
      const file = path.join(config().jwt.previousKeysDir, `${previousKid}.json`);
      fs.writeFileSync(file, damage(previousKid, JSON.parse(fs.readFileSync(file, 'utf8'))));

      let refusal: unknown;
      try {
        loadKeys(config(), { clock });
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(ConfigError);
      expect((refusal as ConfigError).problems).toEqual([expect.stringMatching(message)]);
      expect((refusal as ConfigError).problems[0]).toContain(`${previousKid}.json`);
      expect((refusal as ConfigError).message).not.toContain(secretLooking);

      const outcome = await ring.reload();
      expect(outcome).toMatchObject({ status: 'failed', problem: expect.stringMatching(message) });
      expect(JSON.stringify(outcome)).not.toContain(secretLooking);
      expect(ring.jwks.keys).toHaveLength(2);
    });
  });

  it('watches the files by itself, logging the new kid and never key material', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(line); } });
    const watched = loadKeys(keyDir.config({ JWT_KEYS_RELOAD_INTERVAL: '1s' }));
    watched.watch(logger);
    try {
      const { kid, previousKid } = rotateKeys(config());
      for (const until = Date.now() + 15_000; watched.kid !== kid && Date.now() < until;) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(watched.kid).toBe(kid);
      const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(logged).toContainEqual(expect.objectContaining({ level: 30, msg: 'signing keys reloaded', kid, previous: [previousKid] }));
      const previousFile = JSON.parse(fs.readFileSync(path.join(config().jwt.previousKeysDir, `${previousKid}.json`), 'utf8'));
      expect(lines.join('')).not.toMatch(/BEGIN|PRIVATE/);
      expect(lines.join('')).not.toContain(previousFile.secret);
    } finally {
      watched.stop();
    }
  });
});

describe('HS256 with JWT_SECRET_PREVIOUS', () => {
  const OLD = 'the-old-hs256-secret-of-at-least-32-bytes';
  const NEW = 'the-new-hs256-secret-of-at-least-32-bytes';
  const clock = createTestClock(new Date('2026-12-07T10:00:00Z'));
  // HS256 reads no key file: the configuration alone.
  const keyDirLess = (env: Record<string, string>) => loadConfig({ ...TEST_ENV, JWT_ALGORITHM: 'HS256', ...env }, ROOT_DIR, { requireKeyFiles: false });

  it('signs with JWT_SECRET and still verifies tokens signed with the previous secret, each under its own kid', () => {
    const before = keyDirLess({ JWT_SECRET: OLD });
    const after = keyDirLess({ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD });
    const oldRing = loadKeys(before, { clock });
    const ring = loadKeys(after, { clock });
    const oldTokens = createTokenService(before.jwt, oldRing, clock);
    const tokens = createTokenService(after.jwt, ring, clock);

    const oldAccess = oldTokens.signAccessToken(subject, FAMILY).token;
    const oldRefresh = oldTokens.signRefreshToken(subject.public_id, FAMILY).token;
    expect(reasonOf(() => tokens.verifyAccessToken(oldAccess))).toBe('accepted');
    expect(reasonOf(() => tokens.verifyRefreshToken(oldRefresh))).toBe('accepted');
    const fresh = tokens.signAccessToken(subject, FAMILY).token;
    expect(kidOf(fresh)).toBe(ring.kid);
    expect(ring.kid).not.toBe(oldRing.kid);
    expect(reasonOf(() => oldTokens.verifyAccessToken(fresh))).toBe('invalid');
    // Each secret only under its own kid.
    expect(reasonOf(() => tokens.verifyAccessToken(signAs('HS256', oldRing.signingKey, ring.kid, decodeParts(oldAccess).payload)))).toBe('invalid');
    expect(ring.jwks).toEqual({ keys: [] });
  });

  it('accepts the CSRF and cookie secrets of both, signing with the current one', () => {
    const ring = loadKeys(keyDirLess({ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD }));
    const [current, previous] = liveSecrets(ring, 'csrf')();
    expect(current).toBe(liveSecrets(loadKeys(keyDirLess({ JWT_SECRET: NEW })), 'csrf')()[0]);
    expect(previous).toBe(liveSecrets(loadKeys(keyDirLess({ JWT_SECRET: OLD })), 'csrf')()[0]);
    expect(liveSecrets(ring, 'cookies')()).toHaveLength(2);
    expect(liveSecrets(ring, 'cookies')()).not.toContain(current);
  });

  it('once JWT_SECRET_PREVIOUS is unset, the old tokens are refused', () => {
    const oldTokens = createTokenService(keyDirLess({ JWT_SECRET: OLD }).jwt, loadKeys(keyDirLess({ JWT_SECRET: OLD })), clock);
    const config = keyDirLess({ JWT_SECRET: NEW });
    const tokens = createTokenService(config.jwt, loadKeys(config), clock);
    expect(reasonOf(() => tokens.verifyAccessToken(oldTokens.signAccessToken(subject, FAMILY).token))).toBe('invalid');
  });

  it('never reloads: the environment cannot change under a running process', async () => {
    const ring = loadKeys(keyDirLess({ JWT_SECRET: NEW }));
    expect(await ring.reload()).toEqual({ status: 'unchanged' });
  });

  it('tokens are plain jsonwebtoken HS256 tokens', () => {
    const config = keyDirLess({ JWT_SECRET: NEW });
    const token = createTokenService(config.jwt, loadKeys(config), clock).signAccessToken(subject, FAMILY).token;
    expect(jwt.verify(token, NEW, { algorithms: ['HS256'], clockTimestamp: secondsSinceEpoch(clock) })).toMatchObject({ sub: subject.public_id });
  });
});
