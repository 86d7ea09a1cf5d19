import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { UnauthorizedError } from '../../errors/app-error';
import { msg } from '../../lib/i18n';
import { requestMeta } from '../../lib/request-meta';
import { toPublicUser } from '../../presenters/user.presenter';
import { loginAccountKey } from '../../middleware/rate-limit';
import { needsSecondStep, RegistrationInput } from '../../services/auth.service';
import { SessionError } from '../../services/session.service';
import { toSecondStepResponse, toTokenResponse } from '../../presenters/token.presenter';
import type { AppContext } from '../../types/context';

export function createAuthApiController({ services }: AppContext) {
  return {
    async register(req: Request, res: Response) {
      const user = await services.auth.register(matchedData(req) as RegistrationInput, requestMeta(req));
      res.status(201).json(toPublicUser(user));
    },

    async login(req: Request, res: Response) {
      const data = matchedData(req) as { login?: string; username?: string; email?: string; password: string };
      const login = data.login ?? data.username ?? data.email ?? '';
      const result = await services.auth.login(login, data.password, requestMeta(req), loginAccountKey(req));
      if (needsSecondStep(result)) return res.json(toSecondStepResponse(result.secondStep));
      res.json({ ...toTokenResponse(result.tokens), user: toPublicUser(result.user) });
    },

    async refresh(req: Request, res: Response) {
      const { refresh_token: refreshToken } = matchedData(req) as { refresh_token: string };
      try {
        res.json(toTokenResponse(await services.sessions.rotate(refreshToken, requestMeta(req))));
      } catch (error) {
        if (error instanceof SessionError) throw new UnauthorizedError(msg('api.invalidRefreshToken'), 'invalid_refresh_token');
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
