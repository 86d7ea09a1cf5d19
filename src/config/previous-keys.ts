import crypto, { KeyObject } from 'node:crypto';
import type { Config } from './env';
import { ConfigError } from './env';
import { AsymmetricAlgorithm, checkKeyFitsAlgorithm, ParsedKey, parsePublicKey } from './key-material';

/**
 * A previous key stopped signing at a rotation and keeps verifying what it signed. Each one is a
 * file `<kid>.json` in JWT_PREVIOUS_KEYS_DIR (default: `previous/` next to JWT_PUBLIC_KEY_FILE):
 *
 *   { "kid": "…", "alg": "ES256", "stoppedSigningAt": "2026-12-07T10:00:00.000Z",
 *     "publicKey": "-----BEGIN PUBLIC KEY-----…", "secret": "…" }
 *
 * `secret` is the key's HKDF pseudo-random key (see key-material.ts), which keeps the CSRF
 * tokens and signed cookies made under it valid; it cannot sign a token, but it is a secret,
 * so the files are written 0600. The private key itself is never kept.
 */
export interface PreviousKeyFile {
  kid: string;
  alg: AsymmetricAlgorithm;
  stoppedSigningAt: string;
  publicKey: string;
  secret: string;
}

/** A kid is an RFC 7638 thumbprint: 43 base64url characters. Nothing else is a file name here. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
export const previousKeyFileName = (kid: string) => `${kid}.json`;

/**
 * Host clocks differ: an instance whose clock is ahead could have signed a token stamped a
 * little after the rotation. A minute covers any synchronised host.
 */
const CLOCK_LEEWAY_SECONDS = 60;

/**
 * The second from which no token a previous key signed can still be valid: its longest token
 * lifetime after it stopped signing, plus one reload interval (an instance keeps signing with
 * it until it notices the rotation) and the clock leeway. keys:retire refuses before then, and
 * from then on the key verifies nothing even while its file is still there.
 */
export function retirementOf(stoppedSigningAtSeconds: number, jwt: Config['jwt']): number {
  return stoppedSigningAtSeconds + Math.max(jwt.accessTtlSeconds, jwt.refreshTtlSeconds) + jwt.reloadIntervalSeconds + CLOCK_LEEWAY_SECONDS;
}

/** The file a rotation writes for the key that stops signing. */
export function previousKeyFile(algorithm: AsymmetricAlgorithm, key: ParsedKey, stoppedSigningAt: Date): PreviousKeyFile {
  return {
    kid: key.kid,
    alg: algorithm,
    stoppedSigningAt: stoppedSigningAt.toISOString(),
    publicKey: key.verificationKey.export({ type: 'spki', format: 'pem' }) as string,
    secret: key.prk.toString('base64url'),
  };
}

export interface PreviousKey extends ParsedKey {
  retiresAt: number;
  stoppedSigningAt: number;
}

/**
 * Reads one previous-key file, checking everything a forged or damaged file could get wrong.
 * Problems name the file and never quote its content: it holds a secret.
 */
export function parsePreviousKeyFile(fileName: string, text: string, jwt: Config['jwt']): PreviousKey {
  const problem = (what: string) => new ConfigError([`JWT_PREVIOUS_KEYS_DIR: ${fileName} ${what}`]);
  const algorithm = jwt.algorithm;
  if (algorithm === 'HS256') throw problem('is a key file, but HS256 keeps its previous secret in JWT_SECRET_PREVIOUS');
  let file: Partial<Record<keyof PreviousKeyFile, unknown>>;
  try {
    file = JSON.parse(text);
  } catch {
    throw problem('is not valid JSON');
  }
  const { kid, alg, stoppedSigningAt, publicKey, secret } = file ?? {};
  if ([kid, alg, stoppedSigningAt, publicKey, secret].some((value) => typeof value !== 'string')) {
    throw problem('must hold the strings kid, alg, stoppedSigningAt, publicKey and secret');
  }
  if (alg !== algorithm) throw problem(`is an ${String(alg)} key, but JWT_ALGORITHM is ${algorithm}`);
  const stoppedMs = Date.parse(stoppedSigningAt as string);
  if (!Number.isFinite(stoppedMs)) throw problem('has a stoppedSigningAt that is not a date');
  const prk = Buffer.from(secret as string, 'base64url');
  if (prk.length !== 32) throw problem('has a secret that is not 32 bytes of base64url');

  // createPublicKey would accept a private key too (it derives the public half): refuse it first,
  // since a private key lying in this directory is one that should have been destroyed.
  if (isPrivateKey(publicKey as string)) throw problem('holds a private key: a previous key keeps its public key only');
  let key: KeyObject;
  try {
    key = crypto.createPublicKey(publicKey as string);
  } catch {
    throw problem('does not hold a readable PEM public key');
  }
  const fits = checkKeyFitsAlgorithm(algorithm, key);
  if (fits.length > 0) throw problem(`holds a key that does not fit: ${fits.join('; ')}`);
  const parsed = parsePublicKey(algorithm, key);
  if (parsed.kid !== kid || previousKeyFileName(parsed.kid) !== fileName) throw problem('is not named after the thumbprint of its key');

  const stoppedSeconds = Math.floor(stoppedMs / 1000);
  return { ...parsed, prk, stoppedSigningAt: stoppedSeconds, retiresAt: retirementOf(stoppedSeconds, jwt) };
}

function isPrivateKey(pem: string): boolean {
  try {
    crypto.createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}
