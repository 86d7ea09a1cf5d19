import crypto, { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { ConfigError, loadConfig } from '../../src/config/env';
import { deriveSecret, generateKeyPairPem, keysFromPem, keysFromSecret, liveSecrets, loadKeys } from '../../src/config/keys';

/** Production also needs a DATA_ENCRYPTION_KEY: 32 bytes, base64. */
const DATA_KEY = Buffer.alloc(32, 1).toString('base64');

const rsa = generateKeyPairPem('RS256');
const ec = generateKeyPairPem('ES256');

function problemsOf(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('keys were accepted');
}

/** RFC 7638, written out independently of the code under test. */
function rfc7638(jwk: Record<string, unknown>): string {
  const canonical = jwk.kty === 'RSA'
    ? `{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`
    : `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
  return crypto.createHash('sha256').update(canonical).digest('base64url');
}

describe.each([
  ['RS256', rsa, 'RSA'],
  ['ES256', ec, 'EC'],
] as const)('%s keys from PEM', (algorithm, pems, kty) => {
  const keys = keysFromPem(algorithm, pems.privatePem, pems.publicPem);

  it('are parsed once into KeyObjects', () => {
    expect(keys.signingKey).toBeInstanceOf(KeyObject);
    expect(keys.signingKey.type).toBe('private');
    const verification = keys.verificationKeys.get(keys.kid);
    expect(verification).toBeInstanceOf(KeyObject);
    expect(verification?.type).toBe('public');
  });

  it('have the RFC 7638 thumbprint as kid', () => {
    expect(keys.kid).toBe(rfc7638(crypto.createPublicKey(pems.publicPem).export({ format: 'jwk' })));
  });

  it('publish only public members in the JWKS', () => {
    expect(keys.jwks.keys).toHaveLength(1);
    const [jwk] = keys.jwks.keys;
    expect(jwk).toMatchObject({ kty, kid: keys.kid, use: 'sig', alg: algorithm });
    const allowed = kty === 'RSA' ? ['kty', 'kid', 'use', 'alg', 'n', 'e'] : ['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y'];
    expect(Object.keys(jwk!).sort()).toEqual(allowed.sort());
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(secret);
  });

  it('sign tokens that verify with a key built from the published JWK', () => {
    const token = jwt.sign({ sub: 'x' }, keys.signingKey, { algorithm, keyid: keys.kid });
    const fromJwk = crypto.createPublicKey({ key: keys.jwks.keys[0] as crypto.JsonWebKey, format: 'jwk' });
    expect(jwt.verify(token, fromJwk, { algorithms: [algorithm] })).toMatchObject({ sub: 'x' });
  });

  it('refuse a public key that is not the half of the private key', () => {
    const other = generateKeyPairPem(algorithm);
    expect(problemsOf(() => keysFromPem(algorithm, pems.privatePem, other.publicPem)))
      .toEqual([expect.stringContaining('is not the public half')]);
  });

  it('refuse files that hold no PEM key, naming both', () => {
    const problems = problemsOf(() => keysFromPem(algorithm, 'not a key', ''));
    expect(problems).toEqual([expect.stringContaining('JWT_PRIVATE_KEY_FILE'), expect.stringContaining('JWT_PUBLIC_KEY_FILE')]);
  });
});

describe('keys of the wrong type', () => {
  it('RS256 refuses an EC pair', () => {
    expect(problemsOf(() => keysFromPem('RS256', ec.privatePem, ec.publicPem))).toEqual(['RS256 needs an RSA key pair']);
  });

  it('ES256 refuses an RSA pair', () => {
    expect(problemsOf(() => keysFromPem('ES256', rsa.privatePem, rsa.publicPem))).toEqual(['ES256 needs an EC key pair on P-256']);
  });

  it('ES256 refuses an EC pair on another curve', () => {
    const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const pem = (key: KeyObject, type: 'pkcs8' | 'spki') => key.export({ type, format: 'pem' }) as string;
    expect(problemsOf(() => keysFromPem('ES256', pem(p384.privateKey, 'pkcs8'), pem(p384.publicKey, 'spki'))))
      .toEqual(['ES256 needs an EC key pair on P-256']);
  });

  it('RS256 refuses an RSA key under 2048 bits', () => {
    const small = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(problemsOf(() => keysFromPem('RS256',
      small.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      small.publicKey.export({ type: 'spki', format: 'pem' }) as string))).toEqual(['RS256 keys must be at least 2048 bits']);
  });
});

describe('HS256 keys from the secret', () => {
  const secret = 'an-hs256-secret-that-is-at-least-32-bytes';
  const keys = keysFromSecret(secret);

  it('are a secret KeyObject and publish no JWKS', () => {
    expect(keys.signingKey).toBeInstanceOf(KeyObject);
    expect(keys.signingKey.type).toBe('secret');
    expect(keys.jwks).toEqual({ keys: [] });
  });

  it('have a kid that reveals nothing of the secret: not the secret, nor a plain hash of it', () => {
    expect(keys.kid).not.toContain(secret.slice(0, 8));
    for (const digest of ['sha256', 'sha1', 'md5']) {
      const plain = crypto.createHash(digest).update(secret).digest();
      expect(plain.toString('base64url')).not.toContain(keys.kid);
      expect(plain.toString('hex')).not.toContain(keys.kid);
    }
    expect(keysFromSecret(`${secret}!`).kid).not.toBe(keys.kid);
    expect(keysFromSecret(secret).kid).toBe(keys.kid);
  });
});

describe('loadKeys', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-keys-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('generates a missing pair in development when asked to, and reads the same pair next time', () => {
    const config = loadConfig({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: 'dev/private.pem', JWT_PUBLIC_KEY_FILE: 'dev/public.pem' }, dir);
    const first = loadKeys(config, { generateIfMissing: true });
    expect(fs.statSync(path.join(dir, 'dev/private.pem')).mode & 0o077).toBe(0);
    expect(loadKeys(config).kid).toBe(first.kid);
  });

  it('never generates keys in production', () => {
    const config = loadConfig({ NODE_ENV: 'production', APP_URL: 'https://a.example.test', SMTP_URL: 'smtp://mail.example.test', DATA_ENCRYPTION_KEY: DATA_KEY, JWT_PRIVATE_KEY_FILE: 'prod/private.pem', JWT_PUBLIC_KEY_FILE: 'prod/public.pem' }, dir, { requireKeyFiles: false });
    expect(() => loadKeys(config, { generateIfMissing: true })).toThrow(ConfigError);
    expect(fs.existsSync(path.join(dir, 'prod/private.pem'))).toBe(false);
  });
});

describe('derived secrets (CSRF, signed cookies)', () => {
  /** What deriveSecret computed before keys could rotate: HKDF-SHA256 over the whole signing material. */
  const hkdf = (material: Buffer | string, purpose: string) => Buffer.from(crypto.hkdfSync('sha256', material, 'gatehouse', purpose, 32));

  it.each([['RS256', rsa], ['ES256', ec]] as const)('are unchanged by the key ring for %s: no form or cookie broke when it came', (algorithm, pems) => {
    const keys = keysFromPem(algorithm, pems.privatePem, pems.publicPem);
    const der = crypto.createPrivateKey(pems.privatePem).export({ format: 'der', type: 'pkcs8' });
    for (const purpose of ['csrf', 'cookies']) {
      expect(deriveSecret(keys, purpose)).toEqual(hkdf(der, purpose));
      expect(liveSecrets(keys, purpose)()).toEqual([hkdf(der, purpose).toString('hex')]);
    }
  });

  it('are unchanged for HS256, and differ by purpose', () => {
    const secret = 'an-hs256-secret-that-is-at-least-32-bytes';
    const keys = keysFromSecret(secret);
    expect(deriveSecret(keys, 'csrf')).toEqual(hkdf(secret, 'csrf'));
    expect(deriveSecret(keys, 'csrf')).not.toEqual(deriveSecret(keys, 'cookies'));
  });

  it('with a previous HS256 secret: the current one first, then the previous one', () => {
    const keys = keysFromSecret('the-new-hs256-secret-of-at-least-32-bytes', 'the-old-hs256-secret-of-at-least-32-bytes');
    expect(liveSecrets(keys, 'csrf')()).toEqual([
      hkdf('the-new-hs256-secret-of-at-least-32-bytes', 'csrf').toString('hex'),
      hkdf('the-old-hs256-secret-of-at-least-32-bytes', 'csrf').toString('hex'),
    ]);
  });
});
