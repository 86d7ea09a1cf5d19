import crypto, { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Config, ConfigError, JwtAlgorithm } from './env';

export interface PublicJwk {
  kty: string;
  kid: string;
  use: 'sig';
  alg: JwtAlgorithm;
  [member: string]: unknown;
}

/**
 * The signing material, parsed once at start-up. jsonwebtoken re-parses a PEM string on every
 * call, so everything downstream receives KeyObjects.
 */
export interface SigningKeys {
  readonly algorithm: JwtAlgorithm;
  readonly kid: string;
  readonly signingKey: KeyObject;
  /** kid → key. A token naming any other kid is refused before its signature is checked. */
  readonly verificationKeys: ReadonlyMap<string, KeyObject>;
  readonly jwks: { keys: PublicJwk[] };
  /** Secret input for deriving the CSRF and cookie-signing keys (see deriveSecret). */
  readonly secretMaterial: Buffer;
}

type AsymmetricAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

/** Loads keys for the configured algorithm; in development, missing key files are generated. */
export function loadKeys(config: Config, options: { generateIfMissing?: boolean } = {}): SigningKeys {
  const { algorithm, privateKeyFile, publicKeyFile, secret } = config.jwt;
  if (algorithm === 'HS256') return keysFromSecret(secret ?? '');

  const missing = [privateKeyFile, publicKeyFile].filter((file) => !fs.existsSync(file));
  if (missing.length > 0) {
    if (!options.generateIfMissing || config.isProduction) {
      throw new ConfigError(missing.map((file) => `key file ${file} does not exist (run npm run keys)`));
    }
    writeKeyPair(algorithm, privateKeyFile, publicKeyFile);
  }
  return keysFromPem(algorithm, fs.readFileSync(privateKeyFile, 'utf8'), fs.readFileSync(publicKeyFile, 'utf8'));
}

export function keysFromSecret(secret: string): SigningKeys {
  const key = crypto.createSecretKey(Buffer.from(secret, 'utf8'));
  // The kid must not help anyone guess the secret: it is a keyed digest, not a plain hash.
  const kid = crypto.createHmac('sha256', secret).update('gatehouse kid').digest('base64url').slice(0, 16);
  return {
    algorithm: 'HS256',
    kid,
    signingKey: key,
    verificationKeys: new Map([[kid, key]]),
    jwks: { keys: [] },
    secretMaterial: Buffer.from(secret, 'utf8'),
  };
}

export function keysFromPem(algorithm: AsymmetricAlgorithm, privatePem: string, publicPem: string): SigningKeys {
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

  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const kid = thumbprint(jwk);
  return {
    algorithm,
    kid,
    signingKey: privateKey,
    verificationKeys: new Map([[kid, publicKey]]),
    jwks: { keys: [{ ...jwk, kty: jwk.kty ?? '', kid, use: 'sig', alg: algorithm }] },
    secretMaterial: privateKey.export({ format: 'der', type: 'pkcs8' }),
  };
}

function checkKeyFitsAlgorithm(algorithm: AsymmetricAlgorithm, key: KeyObject): string[] {
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

export function writeKeyPair(algorithm: AsymmetricAlgorithm, privateKeyFile: string, publicKeyFile: string): void {
  const { privatePem, publicPem } = generateKeyPairPem(algorithm);
  fs.mkdirSync(path.dirname(privateKeyFile), { recursive: true });
  fs.mkdirSync(path.dirname(publicKeyFile), { recursive: true });
  fs.writeFileSync(privateKeyFile, privatePem, { mode: 0o600 });
  fs.writeFileSync(publicKeyFile, publicPem, { mode: 0o644 });
}

/**
 * Derives an independent secret for one purpose (CSRF tokens, signed cookies) from the signing
 * material, so a deployment has one secret to manage and rotating it rotates them all.
 */
export function deriveSecret(keys: SigningKeys, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', keys.secretMaterial, 'gatehouse', purpose, 32));
}
