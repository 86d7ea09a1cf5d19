import path from 'node:path';
import ejs from 'ejs';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { DEFAULT_LANGUAGE, formattersFor, isLanguage, isMessageRef, Language, localize, MessageRef, translator } from '../lib/i18n';
import type { RequestMeta } from '../lib/request-meta';
import type { Db } from '../db/knex';
import { createOutboxTransport } from './mail-outbox';
import type { Outbox } from './outbox';

/** Each mail is views/mail/<name>.html.ejs and views/mail/<name>.text.ejs; its subject is this key. */
export const MAIL_SUBJECTS = {
  'verify-email': 'mail.verifyEmail.subject',
  'email-change-verify': 'mail.emailChangeVerify.subject',
  'email-change-notice': 'mail.emailChangeNotice.subject',
  'email-in-use': 'mail.emailInUse.subject',
  'password-reset': 'mail.passwordReset.subject',
  'password-reset-done': 'mail.passwordResetDone.subject',
  'security-notice': 'mail.securityNotice.subject',
  'new-sign-in': 'account.mail.newSignIn.subject',
  'account-deleted': 'account.mail.deleted.subject',
  'password-reset-forced': 'account.mail.forcedReset.subject',
} as const;

export type MailTemplate = keyof typeof MAIL_SUBJECTS;

/**
 * Plain JSON only: a mail waits in the database until it is sent. A MessageRef is text of ours,
 * translated into the mail's language when it is rendered.
 */
export type MailLocals = Record<string, string | number | boolean | null | MessageRef>;

export interface OutgoingMail {
  to: string;
  template: MailTemplate;
  /**
   * The language the mail is written in, decided when it is queued (mailLanguage): the row
   * keeps it, so a mail sent later, by another instance, still reads as its recipient expects.
   * Rows queued before languages existed have none and are sent in English.
   */
  language?: Language;
  locals: MailLocals;
}

/**
 * A mail's language: the recipient's saved language, else the language of the request that
 * caused the mail (a guest's browser, the switcher's cookie), else English.
 */
export function mailLanguage(recipient: { language?: string | null } | null | undefined, meta?: RequestMeta): Language {
  if (isLanguage(recipient?.language)) return recipient.language;
  if (isLanguage(meta?.language)) return meta.language;
  return DEFAULT_LANGUAGE;
}

/** What every mail to an account may say about it: never the row itself (it holds the password hash). */
export function recipientLocals(user: { username: string; email: string; first_name: string | null }): MailLocals {
  return { name: user.first_name || user.username, username: user.username, email: user.email };
}

export interface MailService {
  /**
   * Writes the mail to the outbox in `trx` (the transaction of the change it is about) and
   * returns: rendering and delivery happen after commit, on whichever instance claims it, and a
   * failure is retried and logged, never shown. So a slow or broken mail server cannot stall a
   * request or tell a visitor anything, and a crash after the answer loses no mail.
   */
  send(mail: OutgoingMail, trx?: Db): Promise<void>;
  /** An absolute link into the app, built from APP_URL. */
  link(pathname: string, query?: Record<string, string>): string;
  /** 'smtp' or 'outbox', for the start-up banner and /dev/mail. */
  readonly transportName: 'smtp' | 'outbox';
}

/** SMTP gives up long before a user would: a dead server must not pile up queued mails. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000, dnsTimeout: 10_000 };

/** Plain-text templates use <%= %> like every other view, but must not get HTML entities. */
const asPlainText = (value: unknown) => String(value ?? '');

function isOutgoingMail(value: unknown): value is OutgoingMail {
  const mail = value as Partial<OutgoingMail> | null;
  return typeof mail?.to === 'string' && typeof mail.template === 'string' && Object.hasOwn(MAIL_SUBJECTS, mail.template)
    && typeof mail.locals === 'object' && mail.locals !== null;
}

export function createMailService(deps: { config: Config; outbox: Outbox; logger: Logger }): MailService {
  const { config, outbox, logger } = deps;
  const transportName = config.mail.smtpUrl ? 'smtp' : 'outbox';
  const transporter = config.mail.smtpUrl
    ? nodemailer.createTransport({ url: config.mail.smtpUrl, ...SMTP_TIMEOUTS }, { from: config.mail.from })
    : nodemailer.createTransport(createOutboxTransport(config.mail.outboxDir), { from: config.mail.from });
  const templateDir = path.join(config.rootDir, 'views', 'mail');
  const cache = config.env !== 'development';

  async function render(template: MailTemplate, locals: MailLocals, language: Language) {
    const t = translator(language);
    const words = Object.fromEntries(Object.entries(locals).map(([name, value]) => [name, isMessageRef(value) ? localize(value, t) : value]));
    const subject = t(MAIL_SUBJECTS[template]);
    const data = { ...words, appUrl: config.appUrl, subject, t, fmt: formattersFor(language), lang: language };
    const [html, text] = await Promise.all([
      ejs.renderFile(path.join(templateDir, `${template}.html.ejs`), data, { cache, async: false }),
      ejs.renderFile(path.join(templateDir, `${template}.text.ejs`), data, { cache, async: false, escape: asPlainText }),
    ]);
    return { subject, html, text };
  }

  outbox.handle('mail', {
    async deliver(payload) {
      if (!isOutgoingMail(payload)) throw new Error('outbox mail row is not a mail');
      // The language chosen when the mail was queued: the row's, or (issue 18's mails) its locals'.
      const chosen = payload.language ?? payload.locals.language;
      const language = isLanguage(chosen) ? chosen : DEFAULT_LANGUAGE;
      const { subject, html, text } = await render(payload.template, payload.locals, language);
      const info = await transporter.sendMail({ to: payload.to, subject, html, text });
      // The address is personal data: the log says which mail went, not to whom.
      logger.info({ mail: payload.template, language, messageId: info.messageId, transport: transportName }, 'mail sent');
    },
  });

  return {
    transportName,

    send(mail, trx) {
      return outbox.add('mail', mail, trx, mail.template);
    },

    link(pathname, query) {
      const search = query ? `?${new URLSearchParams(query).toString()}` : '';
      return `${config.appUrl}${pathname}${search}`;
    },
  };
}
