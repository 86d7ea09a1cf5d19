import type { NextFunction, Request, Response } from 'express';
import { NotFoundError } from '../errors/app-error';
import { msg } from '../lib/i18n';
import { listOutbox, readOutboxMail } from '../services/mail-outbox';
import type { AppContext } from '../types/context';

/** A mail's HTML is shown on its own, scripts off and nothing loaded from anywhere. */
const MAIL_HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox";

/**
 * The development outbox: every mail the app "sent" without SMTP_URL. Mounted only outside
 * production, and answered only to this machine, since the mails hold working reset links.
 */
export function createDevMailController({ config, services }: AppContext) {
  const dir = config.mail.outboxDir;

  return {
    onlyFromThisMachine(req: Request, _res: Response, next: NextFunction) {
      const ip = req.socket.remoteAddress ?? '';
      if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(ip)) throw new NotFoundError();
      next();
    },

    async index(_req: Request, res: Response) {
      res.render('dev/mail-index', { title: msg('dev.outbox.title'), mails: await listOutbox(dir), transport: services.mail.transportName, dir });
    },

    async show(req: Request, res: Response) {
      const mail = await readOutboxMail(dir, String(req.params.id));
      if (!mail) throw new NotFoundError();
      // The links a reader would click, made clickable here (the HTML view is sandboxed).
      const links = [...new Set(mail.text.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
      res.render('dev/mail-show', { title: mail.subject, mail, links });
    },

    async html(req: Request, res: Response) {
      const mail = await readOutboxMail(dir, String(req.params.id));
      if (!mail) throw new NotFoundError();
      res.set('Content-Security-Policy', MAIL_HTML_CSP).type('html').send(mail.html);
    },
  };
}
