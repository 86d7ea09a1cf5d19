import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { requestMeta } from '../../lib/request-meta';
import { signedInUser } from '../../middleware/require-auth';
import { toTokenResponse } from '../../presenters/token.presenter';
import { toPublicUser } from '../../presenters/user.presenter';
import { codeProofOf } from '../../services/mfa.service';
import type { AppContext } from '../../types/context';

/** Second factors for API clients. Sensitive actions take `current_password` in the body: there is no sudo mode here. */
export function createMfaApiController({ services }: AppContext) {
  const currentUser = async (req: Request) => (await services.users.current(signedInUser(req))).user;

  return {
    /** POST /api/auth/mfa: the login's second step; 401 for a wrong, reused or expired proof. */
    async secondStep(req: Request, res: Response) {
      const data = matchedData(req) as { mfa_token: string; code?: string; recovery_code?: string };
      const { user, tokens } = await services.mfaLogin.complete(data.mfa_token, codeProofOf(data), requestMeta(req));
      res.json({ ...toTokenResponse(tokens), user: toPublicUser(user) });
    },

    async startTotp(req: Request, res: Response) {
      const user = await currentUser(req);
      await services.reauth.requirePassword(user, (matchedData(req) as { current_password: string }).current_password);
      const setup = await services.mfa.beginTotpSetup(user);
      res.json({ secret: setup.secret, otpauth_url: setup.otpauthUrl });
    },

    async confirmTotp(req: Request, res: Response) {
      const codes = await services.mfa.confirmTotp(await currentUser(req), (matchedData(req) as { code: string }).code, requestMeta(req));
      res.json({ recovery_codes: codes });
    },

    async disableTotp(req: Request, res: Response) {
      const data = matchedData(req) as { current_password: string; code?: string; recovery_code?: string };
      const user = await currentUser(req);
      await services.reauth.requirePassword(user, data.current_password);
      await services.mfa.disableTotp(user, codeProofOf(data), requestMeta(req));
      res.status(204).end();
    },

    async regenerateRecoveryCodes(req: Request, res: Response) {
      const user = await currentUser(req);
      await services.reauth.requirePassword(user, (matchedData(req) as { current_password: string }).current_password);
      res.json({ recovery_codes: await services.mfa.regenerateRecoveryCodes(user, requestMeta(req)) });
    },
  };
}
