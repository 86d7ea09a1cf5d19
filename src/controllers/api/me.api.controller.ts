import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { requestMeta } from '../../lib/request-meta';
import { signedInUser } from '../../middleware/require-auth';
import { toPublicMfa, toPublicUser } from '../../presenters/user.presenter';
import type { ProfileChanges } from '../../services/user.service';
import type { AppContext } from '../../types/context';

export function createMeApiController({ services }: AppContext) {
  return {
    async show(req: Request, res: Response) {
      const { user, mfa } = await services.users.current(signedInUser(req));
      res.json({ ...toPublicUser(user), mfa: toPublicMfa(mfa) });
    },

    async update(req: Request, res: Response) {
      const user = await services.users.updateProfile(signedInUser(req).id, matchedData(req) as ProfileChanges, requestMeta(req));
      res.json(toPublicUser(user));
    },
  };
}
