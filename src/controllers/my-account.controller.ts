import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { clearAuthCookies } from '../lib/auth-cookies';
import { msg } from '../lib/i18n';
import type { PageRequest } from '../lib/pagination';
import { requestMeta } from '../lib/request-meta';
import { textFor } from '../middleware/language';
import { signedInUser } from '../middleware/require-auth';
import type { AccountExport, DeletionProof } from '../services/account.service';
import { ACTIVITY_KIND_NAMES, ActivityEntry, ActivityKind } from '../services/activity.service';
import { hasSecondFactor } from '../services/mfa.service';
import type { AppContext } from '../types/context';

export const MY_ACCOUNT_PAGES = {
  data: { view: 'me/data', title: msg('account.data.title') },
  delete: { view: 'me/delete', title: msg('account.delete.title') },
} as const;

/** The file name of a download: the username and the day, nothing a header could be split with. */
export function exportFileName(data: AccountExport): string {
  return `gatehouse-${data.profile.username.replace(/[^A-Za-z0-9_.-]/g, '_')}-${data.exported_at.slice(0, 10)}.json`;
}

/** An activity entry for JSON: its device named in the response's language. */
export function readableEntry(res: Response, entry: ActivityEntry): ActivityEntry {
  return { ...entry, device: entry.device === null ? null : textFor(res, entry.device) };
}

/** The export, as a file the browser saves rather than shows; its devices named in the response's language. */
export function sendExport(res: Response, data: AccountExport): void {
  const readable: AccountExport = {
    ...data,
    sessions: data.sessions.map((session) => ({ ...session, device: textFor(res, session.device) })),
    activity: data.activity.map((entry) => readableEntry(res, entry)),
  };
  res.attachment(exportFileName(data));
  res.type('application/json');
  res.send(JSON.stringify(readable, null, 2));
}

/** Security activity, "Download my data" and "Delete my account": the pages of docs/account.md. */
export function createMyAccountController({ config, services }: AppContext) {
  /** The deletion page's data, also when its form is re-rendered with errors. */
  async function deleteLocals(req: Request) {
    const { user, mfa } = await services.users.current(signedInUser(req));
    return { username: user.username, secondFactor: hasSecondFactor(mfa), totp: mfa.totp };
  }

  return {
    deleteLocals,

    async activity(req: Request, res: Response) {
      const { kind = '', page = 1, after, before } = matchedData(req, { locations: ['query'] }) as { kind?: string } & Partial<PageRequest>;
      const { user } = await services.users.current(signedInUser(req));
      const events = await services.activity.list(user.id, { kind: (kind || undefined) as ActivityKind | undefined, page, after, before });
      res.render('me/activity', { title: msg('account.activity.title'), events, kind, kinds: ACTIVITY_KIND_NAMES });
    },

    showData(_req: Request, res: Response) {
      res.render(MY_ACCOUNT_PAGES.data.view, { title: MY_ACCOUNT_PAGES.data.title });
    },

    async exportData(req: Request, res: Response) {
      const { current_password: password } = matchedData(req) as { current_password: string };
      sendExport(res, await services.account.exportData(signedInUser(req).id, { current_password: password }, requestMeta(req)));
    },

    async showDelete(req: Request, res: Response) {
      res.render(MY_ACCOUNT_PAGES.delete.view, { title: MY_ACCOUNT_PAGES.delete.title, ...(await deleteLocals(req)) });
    },

    async deleteAccount(req: Request, res: Response) {
      await services.account.deleteAccount(signedInUser(req).id, matchedData(req) as DeletionProof, requestMeta(req));
      clearAuthCookies(res, config);
      res.flash('info', msg('account.delete.done'));
      res.redirect(303, '/');
    },
  };
}
