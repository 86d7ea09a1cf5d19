import path from 'node:path';
import ejs from 'ejs';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { Db } from '../db/knex';
import { DEFAULT_LANGUAGE, isLanguage, translator, Translate } from '../lib/i18n';
import { createOutboxTransport } from './mail-outbox';
import type { Outbox } from './outbox';

/** Each mail is views/mail/<name>.html.ejs and views/mail/<name>.text.ejs. */
export const MAIL_SUBJECTS = {
  'verify-email': 'Confirm your email address',
  'email-change-verify': 'Confirm your new email address',
  'email-change-notice': 'Your email address is being changed',
  'email-in-use': 'Someone tried to use this email address',
  'password-reset': 'Reset your password',
  'password-reset-done': 'Your password was reset',
  'security-notice': 'A security setting of your account changed',
  'new-sign-in': 'New sign-in to your account',
  'account-deleted': 'Your account has been deleted',
  'password-reset-forced': 'Choose a new password',
} as const;

export type MailTemplate = keyof typeof MAIL_SUBJECTS;

/**
 * The mails written in the reader's language so far (the account's, issue 18): their subject's
 * key. Their templates get `t` for the language in `locals.language` (the account's saved one,
 * English otherwise); the other templates still read English.
 */
const TRANSLATED_SUBJECTS: Partial<Record<MailTemplate, string>> = {
  'new-sign-in': 'account.mail.newSignIn.subject',
  'account-deleted': 'account.mail.deleted.subject',
  'password-reset-forced': 'account.mail.forcedReset.subject',
};

function subjectOf(template: MailTemplate, t: Translate): string {
  const key = TRANSLATED_SUBJECTS[template];
  return key ? t(key) : MAIL_SUBJECTS[template];
}

/** Plain JSON only: a mail waits in the database until it is sent. */
export type MailLocals = Record<string, string | number | boolean | null>;

export interface OutgoingMail {
  to: string;
  template: MailTemplate;
  locals: MailLocals;
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

  async function render(template: MailTemplate, locals: MailLocals) {
    const t = translator(isLanguage(locals.language) ? locals.language : DEFAULT_LANGUAGE);
    const subject = subjectOf(template, t);
    const data = { ...locals, appUrl: config.appUrl, subject, t };
    const [html, text] = await Promise.all([
      ejs.renderFile(path.join(templateDir, `${template}.html.ejs`), data, { cache, async: false }),
      ejs.renderFile(path.join(templateDir, `${template}.text.ejs`), data, { cache, async: false, escape: asPlainText }),
    ]);
    return { html, text, subject };
  }

  outbox.handle('mail', {
    async deliver(payload) {
      if (!isOutgoingMail(payload)) throw new Error('outbox mail row is not a mail');
      const { html, text, subject } = await render(payload.template, payload.locals);
      const info = await transporter.sendMail({ to: payload.to, subject, html, text });
      // The address is personal data: the log says which mail went, not to whom.
      logger.info({ mail: payload.template, messageId: info.messageId, transport: transportName }, 'mail sent');
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
