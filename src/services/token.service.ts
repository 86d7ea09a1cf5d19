import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config } from '../config/env';
import { liveSecrets, SigningKeys, verificationKeyFor } from '../config/keys';
import { Clock, secondsSinceEpoch } from '../lib/clock';
import { createVerifiedTokenCache } from '../lib/verified-token-cache';

interface RegisteredClaims {
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

export interface AccessClaims extends RegisteredClaims {
  type: 'access';
  username: string;
  is_reader: boolean;
  is_author: boolean;
  is_admin: boolean;
  /** The refresh family (one sign-in) this token belongs to. */
  sid: string;
  /** The user's token_version when the token was issued. */
  ver: number;
  /** How the sign-in was authenticated, in RFC 8176 values ("pwd", "otp", "hwk", "mfa"…). Absent in tokens from before second factors. */
  amr?: string[];
  /** When the user authenticated for this sign-in (seconds since the epoch), as OpenID Connect's auth_time. */
  auth_time?: number;
}

/** What a sign-in was authenticated with; carried unchanged through every rotation of its family. */
export interface SignInFacts {
  amr: string[];
  authTime: number;
}

export interface RefreshClaims extends RegisteredClaims {
  type: 'refresh';
  fam: string;
}

export interface AccessSubject {
  public_id: string;
  username: string;
  is_reader: boolean;
  is_author: boolean;
  is_admin: boolean;
  token_version: number;
}

export interface SignedToken<C> {
  token: string;
  claims: C;
}

/** Why a token was refused. Only "expired" is worth telling a client apart: it should refresh. */
export class TokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(`token ${reason}`);
  }
}

export interface TokenService {
  /** `signIn` defaults to a password sign-in at this moment. */
  signAccessToken(subject: AccessSubject, familyId: string, signIn?: SignInFacts): SignedToken<AccessClaims>;
  signRefreshToken(subjectId: string, familyId: string): SignedToken<RefreshClaims>;
  verifyAccessToken(token: string): AccessClaims;
  verifyRefreshToken(token: string): RefreshClaims;
}

const MAX_TOKEN_LENGTH = 4096;

/** How a kind of token is signed, and the key a kid names at a moment (none once unknown or retired). */
interface TokenKeys {
  algorithm: jwt.Algorithm;
  kid: string;
  signingKey: crypto.KeyObject;
  keyFor(kid: string, nowSeconds: number): crypto.KeyObject | undefined;
}

function accessTokenKeys(keys: SigningKeys): TokenKeys {
  return { algorithm: keys.algorithm, kid: keys.kid, signingKey: keys.signingKey, keyFor: (kid, now) => verificationKeyFor(keys, kid, now) };
}

/**
 * Refresh tokens are read by Gatehouse alone (another service verifies access tokens through
 * the JWKS, never refresh tokens), and each is worth only what its row says. So they are signed
 * with HMAC-SHA256 under a secret derived from each live signing key, as Keycloak signs its own:
 * a refresh costs one RSA signature (the access token's) instead of two, the key is never
 * published, and a refresh token can never pass for an access token (another algorithm, another
 * key, a kid no access token names), nor the reverse. A rotation derives a new one from the new
 * key; the previous keys' secrets keep verifying, and retire with their keys.
 */
export function refreshTokenKeys(keys: SigningKeys): TokenKeys {
  const secrets = liveSecrets(keys, 'refresh-tokens')();
  const accessKids = [...keys.verificationKeys.keys()];
  const derived = secrets.map((hex, i) => {
    const secret = Buffer.from(hex, 'hex');
    const kid = `r-${crypto.createHmac('sha256', secret).update('gatehouse refresh kid').digest('base64url').slice(0, 16)}`;
    return { kid, key: crypto.createSecretKey(secret), retiresAt: keys.retiresAt.get(accessKids[i] ?? '') };
  });
  const byKid = new Map(derived.map((entry) => [entry.kid, entry]));
  const current = derived[0]!;
  return {
    algorithm: 'HS256',
    kid: current.kid,
    signingKey: current.key,
    keyFor(kid, now) {
      const entry = byKid.get(kid);
      return entry && (entry.retiresAt === undefined || now < entry.retiresAt) ? entry.key : undefined;
    },
  };
}

export function createTokenService(jwtConfig: Config['jwt'], keys: SigningKeys, clock: Clock): TokenService {
  const { issuer, audience, accessTtlSeconds, refreshTtlSeconds } = jwtConfig;
  // Only access tokens: they are checked on every request. Refresh tokens are used once each.
  const verifiedAccessTokens = createVerifiedTokenCache<AccessClaims>();
  // The cache holds tokens verified with the keys of one version: a retired key takes its tokens
  // with it. The refresh keys are derived again whenever the keys change.
  let keysVersion = keys.version;
  let refreshKeys = refreshTokenKeys(keys);
  function followKeyChanges(): void {
    if (keys.version === keysVersion) return;
    verifiedAccessTokens.clear();
    refreshKeys = refreshTokenKeys(keys);
    keysVersion = keys.version;
  }
  function keysFor(type: 'access' | 'refresh'): TokenKeys {
    followKeyChanges();
    return type === 'access' ? accessTokenKeys(keys) : refreshKeys;
  }

  function sign<C extends RegisteredClaims>(type: 'access' | 'refresh', claims: Omit<C, keyof RegisteredClaims> & { sub: string }, ttl: number): SignedToken<C> {
    const iat = secondsSinceEpoch(clock);
    const full = { ...claims, jti: crypto.randomUUID(), iat, exp: iat + ttl, iss: issuer, aud: audience } as unknown as C;
    const { signingKey, algorithm, kid } = keysFor(type);
    const token = jwt.sign(full, signingKey, { algorithm, keyid: kid });
    return { token, claims: full };
  }

  /**
   * jsonwebtoken checks the signature with the one pinned algorithm, and iss, aud and exp when
   * present. It accepts a token with no exp and knows nothing of our `type` claim, so both are
   * checked here, as is the kid: a token naming a key we do not hold for its type, or one past
   * its retirement, is refused outright; a token verifies only with the key its kid names.
   */
  function verify(token: string, expectedType: 'access' | 'refresh'): Record<string, unknown> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new TokenError('invalid');
    const { algorithm, keyFor } = keysFor(expectedType);
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded?.header.kid;
    const key = typeof kid === 'string' ? keyFor(kid, secondsSinceEpoch(clock)) : undefined;
    if (!decoded || decoded.header.alg !== algorithm || !key) throw new TokenError('invalid');

    let payload: unknown;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [algorithm],
        issuer,
        audience,
        clockTimestamp: secondsSinceEpoch(clock),
      });
    } catch (error) {
      throw new TokenError(error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid');
    }
    if (!payload || typeof payload !== 'object') throw new TokenError('invalid');
    const claims = payload as Record<string, unknown>;
    const wellFormed = typeof claims.exp === 'number' && typeof claims.iat === 'number'
      && typeof claims.sub === 'string' && typeof claims.jti === 'string' && claims.type === expectedType;
    if (!wellFormed) throw new TokenError('invalid');
    return claims;
  }

  return {
    signAccessToken(subject, familyId, signIn) {
      return sign<AccessClaims>('access', {
        sub: subject.public_id,
        type: 'access',
        username: subject.username,
        is_reader: subject.is_reader,
        is_author: subject.is_author,
        is_admin: subject.is_admin,
        sid: familyId,
        ver: subject.token_version,
        amr: signIn?.amr ?? ['pwd'],
        auth_time: signIn?.authTime ?? secondsSinceEpoch(clock),
      }, accessTtlSeconds);
    },

    signRefreshToken(subjectId, familyId) {
      return sign<RefreshClaims>('refresh', { sub: subjectId, type: 'refresh', fam: familyId }, refreshTtlSeconds);
    },

    /**
     * A token seen before is served from the verified-token cache until its exp; the caller
     * still checks revocation (SessionService.checkAccess) on every request, cached or not.
     */
    verifyAccessToken(token) {
      followKeyChanges();
      const cached = verifiedAccessTokens.get(token, secondsSinceEpoch(clock));
      if (cached) return cached;
      const claims = verify(token, 'access');
      const wellFormed = typeof claims.sid === 'string' && Number.isInteger(claims.ver)
        && typeof claims.username === 'string' && typeof claims.is_reader === 'boolean'
        && typeof claims.is_author === 'boolean' && typeof claims.is_admin === 'boolean'
        && (claims.amr === undefined || (Array.isArray(claims.amr) && claims.amr.every((method) => typeof method === 'string')))
        && (claims.auth_time === undefined || Number.isInteger(claims.auth_time));
      if (!wellFormed) throw new TokenError('invalid');
      verifiedAccessTokens.set(token, claims as unknown as AccessClaims);
      return claims as unknown as AccessClaims;
    },

    verifyRefreshToken(token) {
      const claims = verify(token, 'refresh');
      if (typeof claims.fam !== 'string') throw new TokenError('invalid');
      return claims as unknown as RefreshClaims;
    },
  };
}
