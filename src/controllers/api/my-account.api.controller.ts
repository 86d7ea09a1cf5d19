import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { ForbiddenError } from '../../errors/app-error';
import { msg } from '../../lib/i18n';
import { pagedJson, PageRequest } from '../../lib/pagination';
import { requestMeta } from '../../lib/request-meta';
import { signedInUser } from '../../middleware/require-auth';
import type { DeletionProof } from '../../services/account.service';
import type { ActivityKind } from '../../services/activity.service';
import type { AppContext } from '../../types/context';
import { readableEntry, sendExport } from '../my-account.controller';

export const MY_ACCOUNT_API_MESSAGES = {
  exportNeedsRecentSignIn: msg('account.errors.exportNeedsRecentSignIn'),
} as const;

export function createMyAccountApiController({ services }: AppContext) {
  return {
    async activity(req: Request, res: Response) {
      const { kind, page = 1, after, before } = matchedData(req, { locations: ['query'] }) as { kind?: string } & Partial<PageRequest>;
      const { user } = await services.users.current(signedInUser(req));
      const events = await services.activity.list(user.id, { kind: (kind || undefined) as ActivityKind | undefined, page, after, before });
      res.json(pagedJson('events', { ...events, items: events.items.map((entry) => readableEntry(res, entry)) }));
    },

    /**
     * A GET carries no body, so the password is confirmed by the sign-in itself: its token must
     * come from a login (or a confirmation) of the last ten minutes, as sudo mode asks on the pages.
     */
    async exportData(req: Request, res: Response) {
      const current = signedInUser(req);
      if (!(await services.reauth.isRecent(current.id, current.sessionId))) {
        throw new ForbiddenError(MY_ACCOUNT_API_MESSAGES.exportNeedsRecentSignIn, 'reauthentication_required');
      }
      sendExport(res, await services.account.exportData(current.id, { recent: true }, requestMeta(req)));
    },

    async deleteAccount(req: Request, res: Response) {
      await services.account.deleteAccount(signedInUser(req).id, matchedData(req) as DeletionProof, requestMeta(req));
      res.status(204).end();
    },
  };
}
