import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config/env';
import { clearAuthCookies, readBearerToken, readCookie, setAuthCookies } from '../lib/auth-cookies';
import { requestMeta } from '../lib/request-meta';
import type { Services } from '../services';
import { SessionError } from '../services/session.service';
import { AccessClaims, TokenError } from '../services/token.service';

/** Who is asking, as the rest of the app sees it. Roles come from a token checked against token_version. */
export interface AuthUser {
  id: string;
  username: string;
  isReader: boolean;
  isAuthor: boolean;
  isAdmin: boolean;
  /** The refresh family, i.e. this sign-in on this device. */
  sessionId: string;
  /** How this sign-in was authenticated (RFC 8176), e.g. ['pwd', 'otp', 'mfa']. */
  amr: readonly string[];
  transport: 'cookie' | 'bearer';
}

function toAuthUser(claims: AccessClaims, transport: AuthUser['transport']): AuthUser {
  return {
    id: claims.sub,
    username: claims.username,
    isReader: claims.is_reader,
    isAuthor: claims.is_author,
    isAdmin: claims.is_admin,
    sessionId: claims.sid,
    amr: claims.amr ?? ['pwd'],
    transport,
  };
}

/**
 * Fills `req.user` from the Bearer header or, failing that, the cookies. It never rejects:
 * requireUser/requireRole decide. On the cookie path an expired or stale access token is
 * replaced on the spot from the refresh cookie, so the request carries on.
 */
export function createAuthenticate(config: Config, services: Services) {
  const { tokens, sessions } = services;

  async function verify(token: string): Promise<{ claims?: AccessClaims; problem?: Request['authProblem'] }> {
    let claims: AccessClaims;
    try {
      claims = tokens.verifyAccessToken(token);
    } catch (error) {
      if (error instanceof TokenError) return { problem: error.reason === 'expired' ? 'token_expired' : 'token_invalid' };
      throw error;
    }
    const verdict = await sessions.checkAccess(claims);
    if (verdict === 'ok') return { claims };
    return { problem: verdict === 'stale' ? 'token_stale' : 'session_revoked' };
  }

  async function fromBearer(req: Request, token: string): Promise<void> {
    const { claims, problem } = await verify(token);
    if (claims) req.user = toAuthUser(claims, 'bearer');
    else req.authProblem = problem;
  }

  async function fromCookies(req: Request, res: Response): Promise<void> {
    const accessToken = readCookie(req, config.cookies.accessName);
    const refreshToken = readCookie(req, config.cookies.refreshName);
    if (accessToken) {
      const { claims, problem } = await verify(accessToken);
      if (claims) {
        req.user = toAuthUser(claims, 'cookie');
        return;
      }
      req.authProblem = problem;
      if (problem === 'session_revoked' || !refreshToken) {
        clearAuthCookies(res, config);
        return;
      }
    }
    if (!refreshToken) return;
    try {
      const pair = await sessions.rotate(refreshToken, requestMeta(req));
      setAuthCookies(res, config, pair);
      req.user = toAuthUser(pair.access, 'cookie');
      req.authProblem = undefined;
    } catch (error) {
      if (!(error instanceof SessionError)) throw error;
      clearAuthCookies(res, config);
      req.authProblem = 'session_revoked';
    }
  }

  return async function authenticate(req: Request, res: Response, next: NextFunction): Promise<void> {
    const bearer = readBearerToken(req);
    if (bearer !== undefined) await fromBearer(req, bearer);
    else await fromCookies(req, res);
    next();
  };
}
