import crypto, { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { generateKeyPairPem, SigningKeys } from '../../src/config/keys';

/**
 * Hand-made JSON Web Tokens for rejection tests: each one differs from a token the app would
 * accept in exactly one way, so a test that sees it refused proves that one check.
 */
export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

export function decodeParts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [header = '', payload = '', signature = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()),
    signature,
  };
}

/** Signs with the app's own key and kid: a genuine signature over whatever claims are given. */
export function signWithAppKey(keys: SigningKeys, payload: Record<string, unknown>, header: { kid?: string | null } = {}): string {
  // jsonwebtoken keeps the payload's own iat unless noTimestamp is set, which would drop it.
  const options: jwt.SignOptions = { algorithm: keys.algorithm };
  if (header.kid !== null) options.keyid = header.kid ?? keys.kid;
  return jwt.sign(payload, keys.signingKey, options);
}

/** An HMAC-SHA256 token over raw header and payload, with any bytes as the secret. */
export function signHs256(secret: string | Buffer, payload: Record<string, unknown>, header: Record<string, unknown>): string {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT', ...header })}.${b64url(payload)}`;
  return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function otherKeyFor(keys: SigningKeys): KeyObject {
  if (keys.algorithm === 'HS256') return crypto.createSecretKey(crypto.randomBytes(48));
  return crypto.createPrivateKey(generateKeyPairPem(keys.algorithm).privatePem);
}

const otherKeys = new Map<string, KeyObject>();

/**
 * Every way SPEC.md says an access token must be refused, built from one valid access token
 * (and, for "refresh used as access", its refresh token). Names read as test titles.
 */
export function forgedAccessTokens(keys: SigningKeys, validAccess: string, validRefresh: string): [string, string][] {
  const { header, payload, signature } = decodeParts(validAccess);
  const [encodedHeader] = validAccess.split('.');
  const without = (name: string) => Object.fromEntries(Object.entries(payload).filter(([key]) => key !== name));
  const cases: [string, string][] = [
    ['a tampered payload (is_admin flipped)', `${encodedHeader}.${b64url({ ...payload, is_admin: true })}.${signature}`],
    ['a blank signature', `${encodedHeader}.${b64url(payload)}.`],
    ['no signature part at all', `${encodedHeader}.${b64url(payload)}`],
    ['alg "none"', `${b64url({ ...header, alg: 'none' })}.${b64url(payload)}.`],
    ['alg "NONE" with the original signature', `${b64url({ ...header, alg: 'NONE' })}.${b64url(payload)}.${signature}`],
    ['an unknown kid', signWithAppKey(keys, payload, { kid: 'not-a-key-we-hold' })],
    ['no kid', signWithAppKey(keys, payload, { kid: null })],
    ['no exp', signWithAppKey(keys, without('exp'))],
    ['a wrong iss', signWithAppKey(keys, { ...payload, iss: 'someone-else' })],
    ['a wrong aud', signWithAppKey(keys, { ...payload, aud: 'another-service' })],
    ['no type', signWithAppKey(keys, without('type'))],
    ['type "refresh" on access claims', signWithAppKey(keys, { ...payload, type: 'refresh' })],
    ['a refresh token', validRefresh],
    ['garbage', 'not.a.jwt'],
  ];

  let other = otherKeys.get(keys.algorithm);
  if (!other) otherKeys.set(keys.algorithm, (other = otherKeyFor(keys)));
  cases.push(['a signature by another key under our kid', jwt.sign(payload, other, { algorithm: keys.algorithm, keyid: keys.kid })]);

  if (keys.algorithm === 'HS256') {
    const rsa = crypto.createPrivateKey(generateKeyPairPem('RS256').privatePem);
    cases.push(['an RS256 token under our kid', jwt.sign(payload, rsa, { algorithm: 'RS256', keyid: keys.kid })]);
  } else {
    // The classic key-confusion attack: the public key, which anyone can fetch, used as an HMAC secret.
    const publicKey = keys.verificationKeys.get(keys.kid)!;
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const jwk = JSON.stringify(keys.jwks.keys[0]);
    cases.push(['HS256 signed with our public key (PEM) as the secret', signHs256(pem, payload, { kid: keys.kid })]);
    cases.push(['HS256 signed with our public key (JWK) as the secret', signHs256(jwk, payload, { kid: keys.kid })]);
    cases.push(['HS256 signed with our public key (DER) as the secret',
      signHs256(publicKey.export({ type: 'spki', format: 'der' }), payload, { kid: keys.kid })]);
  }
  return cases;
}
