import { loadConfig, ROOT_DIR } from '../../src/config/env';
import { generateKeyPairPem, keysFromPem, keysFromSecret } from '../../src/config/keys';
import jwt from 'jsonwebtoken';
import { createTokenService, refreshTokenKeys, TokenError } from '../../src/services/token.service';
import { decodeParts, forgedAccessTokens, signHs256, signWithAppKey } from '../helpers/jwt-forge';
import { createTestClock, TEST_ENV, TEST_HS256_SECRET, testKeys } from '../helpers/make-app';

const subject = { public_id: '0b7a3c52-4a4e-4c38-9a53-0f7f3c1d2e11', username: 'alice', is_reader: true, is_author: false, is_admin: false, token_version: 3 };
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

describe.each(['RS256', 'ES256', 'HS256'] as const)('the token service with %s', (algorithm) => {
  const config = loadConfig({ ...TEST_ENV, JWT_ALGORITHM: algorithm, JWT_SECRET: TEST_HS256_SECRET }, ROOT_DIR, { requireKeyFiles: false });
  const keys = testKeys(algorithm);
  const clock = createTestClock(new Date('2026-03-01T12:00:00Z'));
  const tokens = createTokenService(config.jwt, keys, clock);

  it('signs access tokens with every claim SPEC.md lists and the kid in the header', () => {
    const { token, claims } = tokens.signAccessToken(subject, FAMILY);
    const { header, payload } = decodeParts(token);
    expect(header).toEqual({ alg: algorithm, typ: 'JWT', kid: keys.kid });
    const iat = Math.floor(clock.now().getTime() / 1000);
    expect(payload).toEqual({
      sub: subject.public_id, username: 'alice', is_reader: true, is_author: false, is_admin: false,
      type: 'access', jti: expect.any(String), sid: FAMILY, ver: 3,
      iat, exp: iat + 900, iss: 'gatehouse', aud: 'gatehouse',
      // SPEC.md's second stage: how and when the user signed in (a password, now, by default).
      amr: ['pwd'], auth_time: iat,
    });
    expect(payload).toEqual(claims);
    expect(tokens.verifyAccessToken(token)).toEqual(claims);
  });

  it('signs refresh tokens with sub, type, jti, fam, iat, exp, iss and aud only', () => {
    const { token } = tokens.signRefreshToken(subject.public_id, FAMILY);
    const { payload } = decodeParts(token);
    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'fam', 'iat', 'iss', 'jti', 'sub', 'type']);
    expect(payload.exp).toBe(Number(payload.iat) + 7 * 86400);
    expect(tokens.verifyRefreshToken(token)).toMatchObject({ type: 'refresh', fam: FAMILY, sub: subject.public_id });
  });

  it('gives every token its own jti', () => {
    expect(tokens.signAccessToken(subject, FAMILY).claims.jti).not.toBe(tokens.signAccessToken(subject, FAMILY).claims.jti);
  });

  describe('refuses an access token with', () => {
    const access = tokens.signAccessToken(subject, FAMILY).token;
    const refresh = tokens.signRefreshToken(subject.public_id, FAMILY).token;
    it('(control: the same claims re-signed with our key are accepted, so each refusal is for its one defect)', () => {
      expect(reasonOf(() => tokens.verifyAccessToken(signWithAppKey(keys, decodeParts(access).payload)))).toBe('accepted');
    });

    it.each(forgedAccessTokens(keys, access, refresh))('%s', (_name, forged) => {
      expect(reasonOf(() => tokens.verifyAccessToken(forged))).toBe('invalid');
    });

    it('nothing, or more than 4 kB', () => {
      expect(reasonOf(() => tokens.verifyAccessToken(''))).toBe('invalid');
      const { payload } = decodeParts(access);
      const huge = signWithAppKey(keys, { ...payload, padding: 'x'.repeat(5000) });
      expect(reasonOf(() => tokens.verifyAccessToken(huge))).toBe('invalid');
    });

    it('a missing sid or ver', () => {
      const { payload } = decodeParts(access);
      expect(reasonOf(() => tokens.verifyAccessToken(signWithAppKey(keys, { ...payload, sid: undefined })))).toBe('invalid');
      expect(reasonOf(() => tokens.verifyAccessToken(signWithAppKey(keys, { ...payload, ver: '3' })))).toBe('invalid');
    });
  });

  /** A genuine signature with the refresh-token key over whatever claims are given. */
  const refreshKeys = refreshTokenKeys(keys);
  const signAsRefresh = (payload: Record<string, unknown>) => jwt.sign(payload, refreshKeys.signingKey, { algorithm: 'HS256', keyid: refreshKeys.kid });

  it('signs refresh tokens with HMAC-SHA256 under a key of their own, whose kid is in no JWKS', () => {
    const { token } = tokens.signRefreshToken(subject.public_id, FAMILY);
    const { header } = decodeParts(token);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: refreshKeys.kid });
    expect(header.kid).not.toBe(keys.kid);
    expect(keys.jwks.keys.map((jwk) => jwk.kid)).not.toContain(header.kid);
    expect(reasonOf(() => tokens.verifyRefreshToken(signAsRefresh(decodeParts(token).payload)))).toBe('accepted');
  });

  it('refuses an access token used as a refresh token, and a refresh token without fam or type', () => {
    const access = tokens.signAccessToken(subject, FAMILY).token;
    expect(reasonOf(() => tokens.verifyRefreshToken(access))).toBe('invalid');
    const { payload } = decodeParts(tokens.signRefreshToken(subject.public_id, FAMILY).token);
    expect(reasonOf(() => tokens.verifyRefreshToken(signAsRefresh({ ...payload, fam: undefined })))).toBe('invalid');
    expect(reasonOf(() => tokens.verifyRefreshToken(signAsRefresh({ ...payload, type: undefined })))).toBe('invalid');
    expect(reasonOf(() => tokens.verifyRefreshToken(signAsRefresh({ ...payload, type: 'access' })))).toBe('invalid');
  });

  it('refuses refresh claims signed with the access-token key, with another secret, with the public key as secret, or unsigned', () => {
    const { token, claims } = tokens.signRefreshToken(subject.public_id, FAMILY);
    const payload = decodeParts(token).payload;
    expect(reasonOf(() => tokens.verifyRefreshToken(signWithAppKey(keys, payload)))).toBe('invalid');
    expect(reasonOf(() => tokens.verifyRefreshToken(signWithAppKey(keys, payload, { kid: refreshKeys.kid })))).toBe('invalid');
    expect(reasonOf(() => tokens.verifyRefreshToken(signHs256('another secret of at least thirty-two bytes', payload, { kid: refreshKeys.kid })))).toBe('invalid');
    const publicPem = algorithm === 'HS256' ? TEST_HS256_SECRET : keys.verificationKeys.get(keys.kid)!.export({ type: 'spki', format: 'pem' });
    expect(reasonOf(() => tokens.verifyRefreshToken(signHs256(publicPem, payload, { kid: refreshKeys.kid })))).toBe('invalid');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', kid: refreshKeys.kid })).toString('base64url')}.${token.split('.')[1]}.`;
    expect(reasonOf(() => tokens.verifyRefreshToken(unsigned))).toBe('invalid');
    expect(claims.type).toBe('refresh');
  });

  it('refuses a refresh token used as an access token', () => {
    const { token } = tokens.signRefreshToken(subject.public_id, FAMILY);
    expect(reasonOf(() => tokens.verifyAccessToken(token))).toBe('invalid');
  });

  it('accepts an access token until its exp and calls it expired after, by the clock it was given', () => {
    const { token } = tokens.signAccessToken(subject, FAMILY);
    clock.advance(899);
    expect(reasonOf(() => tokens.verifyAccessToken(token))).toBe('accepted');
    clock.advance(2);
    expect(reasonOf(() => tokens.verifyAccessToken(token))).toBe('expired');
  });

  it('calls a refresh token expired after REFRESH_TOKEN_TTL', () => {
    const { token } = tokens.signRefreshToken(subject.public_id, FAMILY);
    clock.advance(7 * 86400 + 1);
    expect(reasonOf(() => tokens.verifyRefreshToken(token))).toBe('expired');
  });

  it('refuses tokens from another deployment with other keys of the same algorithm', () => {
    const otherConfig = loadConfig({ ...TEST_ENV, JWT_ALGORITHM: algorithm, JWT_SECRET: `${TEST_HS256_SECRET}-other` }, ROOT_DIR, { requireKeyFiles: false });
    const pems = algorithm === 'HS256' ? undefined : generateKeyPairPem(algorithm);
    const otherKeys = algorithm === 'HS256' || !pems
      ? keysFromSecret(otherConfig.jwt.secret ?? '')
      : keysFromPem(algorithm, pems.privatePem, pems.publicPem);
    const foreign = createTokenService(otherConfig.jwt, otherKeys, clock).signAccessToken(subject, FAMILY).token;
    expect(reasonOf(() => tokens.verifyAccessToken(foreign))).toBe('invalid');
  });
});
