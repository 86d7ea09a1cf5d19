import type { Request, Response } from 'express';
import { Message, msg, Translate } from '../lib/i18n';
import { matchedData } from 'express-validator';
import { requestMeta } from '../lib/request-meta';
import { signedInUser } from '../middleware/require-auth';
import { codeProofOf } from '../services/mfa.service';
import { MFA_MESSAGES } from '../services/mfa-messages';
import { RECOVERY_CODE_COUNT } from '../services/recovery-codes.service';
import type { AppContext } from '../types/context';

export const SECURITY_PAGES = {
  overview: { view: 'me/security', title: msg('me.security.title') },
  totpSetup: { view: 'me/totp-setup', title: msg('me.security.totp.setUp') },
  recoveryCodes: { view: 'me/recovery-codes', title: msg('me.recoveryCodes.title') },
} as const;

/** The codes as a text file, for the page's download link (a data: URL works without JavaScript). */
function codesFile(codes: string[], username: string, t: Translate): string {
  const text = [t('me.recoveryCodes.fileTitle', { username }), t('me.recoveryCodes.fileNote'), '', ...codes, ''].join('\n');
  return `data:text/plain;charset=utf-8;base64,${Buffer.from(text, 'utf8').toString('base64')}`;
}

/** The Security page under /me: authenticator app, recovery codes, passkeys (see passkeys.controller.ts). */
export function createSecurityController({ services }: AppContext) {
  const currentUser = async (req: Request) => (await services.users.current(signedInUser(req))).user;

  async function overviewLocals(req: Request) {
    const user = await currentUser(req);
    const [status, passkeys] = await Promise.all([services.mfa.status(user.id), services.mfa.listPasskeys(user.id)]);
    return {
      status,
      recoveryCodeCount: RECOVERY_CODE_COUNT,
      passkeys: passkeys.map((key) => ({ id: key.id, name: key.name, createdAt: key.created_at.toISOString(), lastUsedAt: key.last_used_at?.toISOString() ?? null, synced: key.backed_up })),
    };
  }

  /** The setup page's QR code and secret, also when its confirmation form comes back with an error. */
  async function setupLocals(req: Request) {
    const user = await currentUser(req);
    const setup = await services.totp.pendingSetup(user.id, user.username);
    if (!setup) return { setup: null, qrCode: null };
    const svg = await services.totp.qrCode(setup.otpauthUrl);
    return { setup, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}` };
  }

  function showCodes(res: Response, codes: string[], username: string, notice: Message) {
    res.render(SECURITY_PAGES.recoveryCodes.view, { title: SECURITY_PAGES.recoveryCodes.title, codes, download: codesFile(codes, username, res.locals.t as Translate), notice });
  }

  return {
    overviewLocals,
    setupLocals,
    showCodes,

    async show(req: Request, res: Response) {
      res.render(SECURITY_PAGES.overview.view, { title: SECURITY_PAGES.overview.title, ...(await overviewLocals(req)) });
    },

    async startTotp(req: Request, res: Response) {
      await services.mfa.beginTotpSetup(await currentUser(req));
      res.redirect(303, '/me/security/totp');
    },

    async showTotpSetup(req: Request, res: Response) {
      const locals = await setupLocals(req);
      if (!locals.setup) return res.redirect(303, '/me/security');
      res.render(SECURITY_PAGES.totpSetup.view, { title: SECURITY_PAGES.totpSetup.title, ...locals });
    },

    async confirmTotp(req: Request, res: Response) {
      const user = await currentUser(req);
      const codes = await services.mfa.confirmTotp(user, (matchedData(req) as { code: string }).code, requestMeta(req));
      showCodes(res, codes, user.username, MFA_MESSAGES.totpEnabled);
    },

    async disableTotp(req: Request, res: Response) {
      await services.mfa.disableTotp(await currentUser(req), codeProofOf(matchedData(req)), requestMeta(req));
      res.flash('success', MFA_MESSAGES.totpDisabled);
      res.redirect(303, '/me/security');
    },

    async regenerateRecoveryCodes(req: Request, res: Response) {
      const user = await currentUser(req);
      showCodes(res, await services.mfa.regenerateRecoveryCodes(user, requestMeta(req)), user.username, MFA_MESSAGES.recoveryCodesRenewed);
    },
  };
}
