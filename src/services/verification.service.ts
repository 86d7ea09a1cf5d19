import type { Db } from '../db/knex';
import { msg } from '../lib/i18n';
import { isUniqueViolation } from '../db/knex';
import { AppError } from '../errors/app-error';
import type { Clock } from '../lib/clock';
import type { RequestMeta } from '../lib/request-meta';
import * as Tokens from '../models/account-token.model';
import * as Users from '../models/user.model';
import type { AuditService } from './audit.service';
import { mailLanguage, MailService, recipientLocals } from './mail.service';
import { addressKey, ThrottleFactory } from './mail-throttle';
import { Outbox, readAddressRequest } from './outbox';
import { checkSendLimits, claimLinkToken, findLiveLinkToken, InvalidLinkError, issueLinkToken, SendLimits } from './verification-tokens';

export const VERIFICATION_TTL_SECONDS = 24 * 3600;

export const VERIFICATION_MESSAGES = {
  notVerified: msg('auth.verification.notVerified'),
  tooSoon: msg('auth.verification.tooSoon'),
  tooManyForAddress: msg('auth.verification.tooManyForAddress'),
  tooManyFromHere: msg('auth.verification.tooManyFromHere'),
  emailTakenNow: msg('auth.verification.emailTakenNow'),
} as const;

/** Signed-in users: one mail a minute, five an hour, per purpose. */
const USER_SEND_LIMITS: SendLimits = { minIntervalSeconds: 60, perHour: 5, message: VERIFICATION_MESSAGES.tooSoon };
/** The public "resend" form, whatever the address: per address and per IP. */
const PUBLIC_PER_ADDRESS = { limit: 3, windowSeconds: 15 * 60 };
const PUBLIC_PER_IP = { limit: 10, windowSeconds: 15 * 60 };

/**
 * A correct password for an account whose address is not confirmed, while
 * REQUIRE_VERIFIED_EMAIL is on. Only ever thrown after the password matched.
 */
export class EmailNotVerifiedError extends AppError {
  constructor(readonly email: string, readonly justRegistered = false) {
    super(403, 'email_not_verified', VERIFICATION_MESSAGES.notVerified);
  }
}

export interface ConfirmedLink {
  kind: 'verified' | 'email_changed';
  email: string;
}

export interface VerificationService {
  /** Issues a verification link for the user's current address and writes its mail, in `trx` when given. */
  sendVerification(user: Users.UserRow, meta: RequestMeta, trx?: Db): Promise<void>;
  /** The "resend" button on /me. Throttled per user; false when there is nothing to verify. */
  resendForUser(publicId: string, meta: RequestMeta): Promise<boolean>;
  /** The public "resend" form: the same answer for every address, the work done after it (see the outbox). */
  resendForAddress(email: string, meta: RequestMeta): Promise<void>;
  /** An email change, after the current password was checked: see the comment inside. */
  requestEmailChange(user: Users.UserRow, newEmail: string, meta: RequestMeta): Promise<void>;
  /** Follows a verification or email-change link. */
  confirm(token: string, meta: RequestMeta): Promise<ConfirmedLink>;
  /** The address an email change waits on, if any. */
  pendingEmail(publicId: string): Promise<string | null>;
  /** Deletes expired links of every purpose (run hourly by the server). */
  prune(): Promise<number>;
}

/** The outbox job behind the public resend form. */
const RESEND_JOB = 'verification_resend_request';

export function createVerificationService(deps: {
  db: Db;
  mail: MailService;
  outbox: Outbox;
  throttles: ThrottleFactory;
  audit: AuditService;
  clock: Clock;
  /** Tells the signed-in users' cache (SessionService.forgetCachedState) that a user's row changed. */
  accountChanged: (userId: number) => Promise<void>;
}): VerificationService {
  const { db, mail, outbox, throttles, audit, clock, accountChanged } = deps;
  const perAddress = throttles('verify-resend-address', PUBLIC_PER_ADDRESS.limit, PUBLIC_PER_ADDRESS.windowSeconds);
  const perIp = throttles('verify-resend-ip', PUBLIC_PER_IP.limit, PUBLIC_PER_IP.windowSeconds);

  const service: VerificationService = {
    async sendVerification(user, meta, trx?: Db) {
      const send = async (tx: Db) => {
        const token = await issueLinkToken(tx, clock, { userId: user.id, purpose: 'verify_email', email: user.email, ttlSeconds: VERIFICATION_TTL_SECONDS });
        await audit.record('verification_sent', { userId: user.id, meta }, tx);
        await mail.send({ to: user.email, template: 'verify-email', language: mailLanguage(user, meta), locals: { ...recipientLocals(user), link: mail.link('/auth/verify', { token }) } }, tx);
      };
      await (trx ? send(trx) : db.transaction(send));
    },

    async resendForUser(publicId, meta) {
      const user = await Users.findUserByPublicId(db, publicId);
      if (!user || user.is_verified) return false;
      await checkSendLimits(db, clock, user.id, 'verify_email', USER_SEND_LIMITS);
      await service.sendVerification(user, meta);
      return true;
    },

    async resendForAddress(email, meta) {
      await perIp.hit(`ip:${meta.ip ?? 'unknown'}`, VERIFICATION_MESSAGES.tooManyFromHere);
      await perAddress.hit(addressKey(email), VERIFICATION_MESSAGES.tooManyForAddress);
      await outbox.add(RESEND_JOB, { email, meta });
    },

    /**
     * The new address takes effect only when its link is followed. Whether it already belongs
     * to another account is never shown to the requester: both cases record the same pending
     * change and answer the same. A free address gets the link; a taken one gets a notice
     * instead (only its owner learns it has an account). The old address is told either way.
     */
    async requestEmailChange(user, newEmail, meta) {
      await checkSendLimits(db, clock, user.id, 'change_email', USER_SEND_LIMITS);
      const email = newEmail.toLowerCase();
      const owner = await Users.findUserByEmail(db, email);
      await db.transaction(async (trx) => {
        const token = await issueLinkToken(trx, clock, { userId: user.id, purpose: 'change_email', email, ttlSeconds: VERIFICATION_TTL_SECONDS });
        await audit.record('email_change_requested', { userId: user.id, meta, details: { to: email, address_in_use: Boolean(owner) } }, trx);
        const locals = { ...recipientLocals(user), newEmail: email };
        if (owner) await mail.send({ to: email, template: 'email-in-use', language: mailLanguage(owner, meta), locals: {} }, trx);
        else await mail.send({ to: email, template: 'email-change-verify', language: mailLanguage(user, meta), locals: { ...locals, link: mail.link('/auth/verify', { token }) } }, trx);
        await mail.send({ to: user.email, template: 'email-change-notice', language: mailLanguage(user, meta), locals }, trx);
      });
      await accountChanged(user.id); // the profile shows the pending change
    },

    async confirm(token, meta) {
      const row = await findLiveLinkToken(db, clock, token, ['verify_email', 'change_email']);
      const user = await Users.findUserById(db, row.user_id);
      // A verification link is for the address it was sent to; after a change it is void.
      if (!user || !user.is_active || (row.purpose === 'verify_email' && user.email !== row.email)) throw new InvalidLinkError();
      try {
        return row.purpose === 'verify_email' ? await markVerified(user, row, meta) : await changeEmail(user, row, meta);
      } finally {
        await accountChanged(user.id);
      }
    },

    async pendingEmail(publicId) {
      const user = await Users.findUserByPublicId(db, publicId);
      if (!user) return null;
      return (await Tokens.findLiveToken(db, user.id, 'change_email', clock.now()))?.email ?? null;
    },

    prune() {
      return Tokens.pruneAccountTokens(db, clock.now());
    },
  };

  /** After the public resend form's answer: the lookup, and a link only for an account that needs one. */
  outbox.handle(RESEND_JOB, {
    async job(payload, trx) {
      const { email, meta } = readAddressRequest(payload);
      const user = await Users.findUserByEmail(trx, email);
      if (!user || !user.is_active || user.is_verified) return;
      try {
        await checkSendLimits(trx, clock, user.id, 'verify_email', USER_SEND_LIMITS);
      } catch {
        return; // Over the per-user limit: the answer was already the same, nothing more to send.
      }
      await service.sendVerification(user, meta, trx);
    },
  });

  async function markVerified(user: Users.UserRow, row: Tokens.AccountTokenRow, meta: RequestMeta): Promise<ConfirmedLink> {
    await db.transaction(async (trx) => {
      await claimLinkToken(trx, clock, row);
      await Users.updateUser(trx, user.id, { is_verified: true }, clock.now());
      await audit.record('email_verified', { userId: user.id, meta }, trx);
    });
    return { kind: 'verified', email: user.email };
  }

  /** The unique index has the last word: if the address was taken since the request, nothing changes. */
  async function changeEmail(user: Users.UserRow, row: Tokens.AccountTokenRow, meta: RequestMeta): Promise<ConfirmedLink> {
    try {
      await db.transaction(async (trx) => {
        await claimLinkToken(trx, clock, row);
        const now = clock.now();
        await Users.updateUser(trx, user.id, { email: row.email, is_verified: true }, now);
        // Links mailed to the old address (verification, reset) must not outlive it.
        await Tokens.revokeAccountTokens(trx, user.id, Tokens.TOKEN_PURPOSES, now);
        await audit.record('email_changed', { userId: user.id, meta, details: { from: user.email, to: row.email } }, trx);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError(409, 'email_taken', VERIFICATION_MESSAGES.emailTakenNow);
      throw error;
    }
    return { kind: 'email_changed', email: row.email };
  }

  return service;
}
