import crypto, { KeyObject } from 'node:crypto';
import { ConfigError, JwtAlgorithm } from './env';

export interface PublicJwk {
  kty: string;
  kid: string;
  use: 'sig';
  alg: JwtAlgorithm;
  [member: string]: unknown;
}

/**
 * The signing material in use: the current key, which signs, and the previous keys, which
 * still verify until their tokens have expired. Parsed once: jsonwebtoken re-parses a PEM
 * string on every call, so everything downstream receives KeyObjects. The key ring
 * (key-ring.ts) swaps in new material when the key files change; callers read these fields
 * when they use them, and whoever keeps something derived from them checks `version`.
 */
export interface SigningKeys {
  readonly algorithm: JwtAlgorithm;
  readonly kid: string;
  readonly signingKey: KeyObject;
  /** kid → key: the current one and the live previous ones. A token naming any other kid is refused before its signature is checked. */
  readonly verificationKeys: ReadonlyMap<string, KeyObject>;
  /** Previous kid → the second (Unix time) from which it verifies nothing, even while its file is still there. */
  readonly retiresAt: ReadonlyMap<string, number>;
  readonly jwks: { keys: PublicJwk[] };
  /** One HKDF pseudo-random key per live key, the current one first: the input of the derived secrets. */
  readonly secretMaterial: readonly Buffer[];
  /** Changes whenever any of the above does. */
  readonly version: number;
}

export type AsymmetricAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

/** One key as parsed, before it is put in a set: current keys have a signing key, previous ones may have a retirement. */
export interface ParsedKey {
  kid: string;
  verificationKey: KeyObject;
  signingKey?: KeyObject;
  jwk?: PublicJwk;
  prk: Buffer;
  retiresAt?: number;
}

const HKDF_SALT = 'gatehouse';

/**
 * Puts the current key and the previous ones still live at `nowSeconds` into one immutable set.
 * A previous key with the current kid (a rotation caught half-way) is the current key.
 */
export function assembleKeys(algorithm: JwtAlgorithm, current: ParsedKey, previous: readonly ParsedKey[], nowSeconds: number, version = 0): SigningKeys {
  if (!current.signingKey) throw new Error('the current key must be able to sign');
  const live = previous.filter((key) => key.kid !== current.kid && (key.retiresAt === undefined || nowSeconds < key.retiresAt));
  const all = [current, ...live];
  return Object.freeze({
    algorithm,
    kid: current.kid,
    signingKey: current.signingKey,
    verificationKeys: new Map(all.map((key) => [key.kid, key.verificationKey])),
    retiresAt: new Map(live.flatMap((key) => (key.retiresAt === undefined ? [] : [[key.kid, key.retiresAt] as const]))),
    jwks: { keys: all.flatMap((key) => (key.jwk ? [key.jwk] : [])) },
    secretMaterial: all.map((key) => key.prk),
    version,
  });
}

/** The key a token naming `kid` verifies with at `nowSeconds`: none for an unknown kid or one past its retirement. */
export function verificationKeyFor(keys: SigningKeys, kid: string, nowSeconds: number): KeyObject | undefined {
  const retiresAt = keys.retiresAt.get(kid);
  if (retiresAt !== undefined && nowSeconds >= retiresAt) return undefined;
  return keys.verificationKeys.get(kid);
}

/** HS256: JWT_SECRET signs; JWT_SECRET_PREVIOUS, when set, still verifies (no retirement: it lasts until it is unset). */
export function keysFromSecret(secret: string, previousSecret?: string): SigningKeys {
  const current = parseSecret(secret);
  return assembleKeys('HS256', current, previousSecret ? [{ ...parseSecret(previousSecret), signingKey: undefined }] : [], 0);
}

function parseSecret(secret: string): ParsedKey {
  const key = crypto.createSecretKey(Buffer.from(secret, 'utf8'));
  // The kid must not help anyone guess the secret: it is a keyed digest, not a plain hash.
  const kid = crypto.createHmac('sha256', secret).update('gatehouse kid').digest('base64url').slice(0, 16);
  return { kid, verificationKey: key, signingKey: key, prk: extractPrk(Buffer.from(secret, 'utf8')) };
}

export function keysFromPem(algorithm: AsymmetricAlgorithm, privatePem: string, publicPem: string): SigningKeys {
  return assembleKeys(algorithm, parseKeyPair(algorithm, privatePem, publicPem), [], 0);
}

/** A PEM pair, checked: readable, of the algorithm's type and size, and the public key the private key's own half. */
export function parseKeyPair(algorithm: AsymmetricAlgorithm, privatePem: string, publicPem: string): ParsedKey {
  const problems: string[] = [];
  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject | undefined;
  try {
    privateKey = crypto.createPrivateKey(privatePem);
  } catch {
    problems.push('JWT_PRIVATE_KEY_FILE does not hold a readable PEM private key');
  }
  try {
    publicKey = crypto.createPublicKey(publicPem);
  } catch {
    problems.push('JWT_PUBLIC_KEY_FILE does not hold a readable PEM public key');
  }
  if (privateKey && publicKey) {
    problems.push(...checkKeyFitsAlgorithm(algorithm, publicKey));
    const derived = crypto.createPublicKey(privateKey).export({ format: 'jwk' });
    if (JSON.stringify(derived) !== JSON.stringify(publicKey.export({ format: 'jwk' }))) {
      problems.push('JWT_PUBLIC_KEY_FILE is not the public half of JWT_PRIVATE_KEY_FILE');
    }
  }
  if (problems.length > 0 || !privateKey || !publicKey) throw new ConfigError(problems);
  return {
    ...parsePublicKey(algorithm, publicKey),
    signingKey: privateKey,
    prk: extractPrk(privateKey.export({ format: 'der', type: 'pkcs8' })),
  };
}

/** The verifying half of a key: its kid (RFC 7638 thumbprint) and its JWK as the JWKS publishes it. */
export function parsePublicKey(algorithm: AsymmetricAlgorithm, publicKey: KeyObject): Pick<ParsedKey, 'kid' | 'verificationKey' | 'jwk'> {
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const kid = thumbprint(jwk);
  return { kid, verificationKey: publicKey, jwk: { ...jwk, kty: jwk.kty ?? '', kid, use: 'sig', alg: algorithm } };
}

export function checkKeyFitsAlgorithm(algorithm: AsymmetricAlgorithm, key: KeyObject): string[] {
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa') return ['RS256 needs an RSA key pair'];
    if ((details.modulusLength ?? 0) < 2048) return ['RS256 keys must be at least 2048 bits'];
  }
  if (algorithm === 'ES256') {
    if (key.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1') return ['ES256 needs an EC key pair on P-256'];
  }
  return [];
}

/** RFC 7638 JWK thumbprint: a stable kid that changes whenever the key does. */
function thumbprint(jwk: Record<string, string>): string {
  const members = jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['e', 'kty', 'n'];
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name]])));
  return crypto.createHash('sha256').update(canonical).digest('base64url');
}

export function generateKeyPairPem(algorithm: AsymmetricAlgorithm): { privatePem: string; publicPem: string } {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  const pair = algorithm === 'RS256'
    ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding })
    : crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1', publicKeyEncoding, privateKeyEncoding });
  return { privatePem: pair.privateKey, publicPem: pair.publicKey };
}

/**
 * HKDF's first step (RFC 5869 §2.2): a pseudo-random key from the signing material. It is
 * one-way, so a previous key's file can keep it (for its CSRF tokens and signed cookies)
 * without keeping anything that could sign a token.
 */
function extractPrk(material: Buffer): Buffer {
  return crypto.createHmac('sha256', HKDF_SALT).update(material).digest();
}

/**
 * HKDF's second step (RFC 5869 §2.3) for one 32-byte block: T(1) = HMAC(PRK, info ‖ 0x01).
 * With the step above this is exactly crypto.hkdfSync('sha256', material, 'gatehouse', purpose, 32),
 * the derivation used before keys rotated (tested), so no secret changed with the key ring.
 */
function expandPrk(prk: Buffer, purpose: string): Buffer {
  return crypto.createHmac('sha256', prk).update(purpose).update(Buffer.from([1])).digest();
}

/**
 * Derives an independent secret for one purpose (CSRF tokens, signed cookies) from the current
 * signing material, so a deployment has one secret to manage.
 */
export function deriveSecret(keys: SigningKeys, purpose: string): Buffer {
  return expandPrk(keys.secretMaterial[0] ?? Buffer.alloc(0), purpose);
}

/**
 * The secrets of one purpose for every live key, hex, the current one first: sign with the
 * first, accept any, so a form or cookie made before a rotation still works after it.
 * Recomputed only when the keys change; the same array is returned until then.
 */
export function liveSecrets(keys: SigningKeys, purpose: string): () => readonly string[] {
  let version: number | undefined;
  let secrets: readonly string[] = [];
  return () => {
    if (keys.version !== version) {
      secrets = Object.freeze(keys.secretMaterial.map((prk) => expandPrk(prk, purpose).toString('hex')));
      version = keys.version;
    }
    return secrets;
  };
}
