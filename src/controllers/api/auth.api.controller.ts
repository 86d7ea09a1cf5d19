import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { UnauthorizedError } from '../../errors/app-error';
import { requestMeta } from '../../lib/request-meta';
import { toPublicUser } from '../../presenters/user.presenter';
import type { RegistrationInput } from '../../services/auth.service';
import { SessionError, TokenPair } from '../../services/session.service';
import type { AppContext } from '../../types/context';

function tokenResponse(tokens: TokenPair) {
  return {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    token_type: 'Bearer' as const,
    expires_in: tokens.accessExpiresIn,
  };
}

export function createAuthApiController({ services }: AppContext) {
  return {
    async register(req: Request, res: Response) {
      const user = await services.auth.register(matchedData(req) as RegistrationInput, requestMeta(req));
      res.status(201).json(toPublicUser(user));
    },

    async login(req: Request, res: Response) {
      const data = matchedData(req) as { login?: string; username?: string; email?: string; password: string };
      const login = data.login ?? data.username ?? data.email ?? '';
      const { user, tokens } = await services.auth.login(login, data.password, requestMeta(req));
      res.json({ ...tokenResponse(tokens), user: toPublicUser(user) });
    },

    async refresh(req: Request, res: Response) {
      const { refresh_token: refreshToken } = matchedData(req) as { refresh_token: string };
      try {
        res.json(tokenResponse(await services.sessions.rotate(refreshToken, requestMeta(req))));
      } catch (error) {
        if (error instanceof SessionError) throw new UnauthorizedError('The refresh token is not valid. Sign in again.', 'invalid_refresh_token');
        throw error;
      }
    },

    /** Like RFC 7009: revoking a token that is already dead is not an error. */
    async logout(req: Request, res: Response) {
      const { refresh_token: refreshToken } = matchedData(req) as { refresh_token: string };
      await services.sessions.endByRefreshToken(refreshToken, requestMeta(req));
      res.status(204).end();
    },
  };
}
