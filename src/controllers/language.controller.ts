import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Language } from '../lib/i18n';
import { requestMeta } from '../lib/request-meta';
import { safeNextPath } from '../lib/safe-next';
import { setLanguageCookie } from '../middleware/language';
import type { AppContext } from '../types/context';

export function createLanguageController({ config, services }: AppContext) {
  return {
    /** The switcher: remembered in the `lang` cookie and, when signed in, with the account (a saved choice wins over the cookie). */
    async switch(req: Request, res: Response) {
      const { lang, next } = matchedData(req) as { lang: Language; next?: string };
      setLanguageCookie(res, config, lang);
      if (req.user) await services.users.updateProfile(req.user.id, { language: lang }, requestMeta(req));
      res.redirect(303, safeNextPath(next) ?? '/');
    },
  };
}
