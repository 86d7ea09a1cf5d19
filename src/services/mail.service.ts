import path from 'node:path';
import ejs from 'ejs';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { Db } from '../db/knex';
import { createOutboxTransport } from './mail-outbox';
import type { TaskQueue } from './mail-queue';

/** Each mail is views/mail/<name>.html.ejs and views/mail/<name>.text.ejs. */
export const MAIL_SUBJECTS = {
  'verify-email': 'Confirm your email address',
  'email-change-verify': 'Confirm your new email address',
  'email-change-notice': 'Your email address is being changed',
  'email-in-use': 'Someone tried to use this email address',
  'password-reset': 'Reset your password',
  'password-reset-done': 'Your password was reset',
  'security-notice': 'A security setting of your account changed',
} as const;

export type MailTemplate = keyof typeof MAIL_SUBJECTS;

export interface OutgoingMail {
  to: string;
  template: MailTemplate;
  locals: Record<string, unknown>;
}

export interface MailService {
  /**
   * Queues a mail and returns at once: rendering and delivery happen after the response, and a
   * failure is logged, never shown. So a slow or broken mail server cannot stall a request or
   * tell a visitor anything.
   */
  send(mail: OutgoingMail, trx?: Db): void;
  /** An absolute link into the app, built from APP_URL. */
  link(pathname: string, query?: Record<string, string>): string;
  /** 'smtp' or 'outbox', for the start-up banner and /dev/mail. */
  readonly transportName: 'smtp' | 'outbox';
}

/** SMTP gives up long before a user would: a dead server must not pile up queued mails. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000, dnsTimeout: 10_000 };

/** Plain-text templates use <%= %> like every other view, but must not get HTML entities. */
const asPlainText = (value: unknown) => String(value ?? '');

export function createMailService(deps: { config: Config; queue: TaskQueue; logger: Logger }): MailService {
  const { config, queue, logger } = deps;
  const transportName = config.mail.smtpUrl ? 'smtp' : 'outbox';
  const transporter = config.mail.smtpUrl
    ? nodemailer.createTransport({ url: config.mail.smtpUrl, ...SMTP_TIMEOUTS }, { from: config.mail.from })
    : nodemailer.createTransport(createOutboxTransport(config.mail.outboxDir), { from: config.mail.from });
  const templateDir = path.join(config.rootDir, 'views', 'mail');
  const cache = config.env !== 'development';

  async function render(template: MailTemplate, locals: Record<string, unknown>) {
    const data = { ...locals, appUrl: config.appUrl, subject: MAIL_SUBJECTS[template] };
    const [html, text] = await Promise.all([
      ejs.renderFile(path.join(templateDir, `${template}.html.ejs`), data, { cache, async: false }),
      ejs.renderFile(path.join(templateDir, `${template}.text.ejs`), data, { cache, async: false, escape: asPlainText }),
    ]);
    return { html, text };
  }

  return {
    transportName,

    send(mail) {
      queue.push(`mail:${mail.template}`, async () => {
        const { html, text } = await render(mail.template, mail.locals);
        const info = await transporter.sendMail({ to: mail.to, subject: MAIL_SUBJECTS[mail.template], html, text });
        // The address is personal data: the log says which mail went, not to whom.
        logger.info({ mail: mail.template, messageId: info.messageId, transport: transportName }, 'mail sent');
      });
    },

    link(pathname, query) {
      const search = query ? `?${new URLSearchParams(query).toString()}` : '';
      return `${config.appUrl}${pathname}${search}`;
    },
  };
}
