import crypto from 'node:crypto';
import type { Db } from '../db/knex';
import { msg } from '../lib/i18n';
import { ValidationError } from '../errors/app-error';
import type { Clock } from '../lib/clock';
import type { RequestMeta } from '../lib/request-meta';
import * as Tokens from '../models/account-token.model';
import * as Users from '../models/user.model';
import type { AuditService } from './audit.service';
import { mailLanguage, MailService, recipientLocals } from './mail.service';
import { addressKey, ThrottleFactory } from './mail-throttle';
import { Outbox, readAddressRequest } from './outbox';
import { checkPasswordPolicy, PasswordService } from './password.service';
import type { MfaService } from './mfa.service';
import type { MfaLoginService, SecondStep } from './mfa-login.service';
import type { SessionService, TokenPair } from './session.service';
import {
  claimLinkToken, findLiveLinkToken, InvalidLinkError, issueLinkToken, passwordFingerprint,
} from './verification-tokens';

export const RESET_TTL_SECONDS = 3600;

export const RESET_MESSAGES = {
  tooManyForAddress: msg('auth.reset.tooManyForAddress'),
  tooManyFromHere: msg('auth.reset.tooManyFromHere'),
} as const;

/** The outbox job behind a forgot-password answer. */
const RESET_JOB = 'password_reset_request';

/** Counted for every address typed, account or not, so a 429 reveals nothing either. */
const PER_ADDRESS = { limit: 3, windowSeconds: 15 * 60 };
const PER_IP = { limit: 10, windowSeconds: 15 * 60 };

export type ResetOutcome = { user: Users.UserRow; tokens: TokenPair } | { user: Users.UserRow; secondStep: SecondStep };

export interface PasswordResetService {
  /**
   * "Forgot password". Checks the throttles and writes an outbox row; the lookup, the link and
   * the mail happen after the response (see the job below), so its content and timing are the
   * same whether or not the account exists — and a crash after the answer loses nothing.
   */
  request(email: string, meta: RequestMeta): Promise<void>;
  /** Throws InvalidLinkError unless the link can still set a password. */
  check(token: string): Promise<void>;
  /**
   * Sets the new password, ends every session, and signs the user in afresh; or, when the account
   * has a second factor, opens the second step instead: a mailbox is not a second factor.
   */
  reset(token: string, newPassword: string, meta: RequestMeta): Promise<ResetOutcome>;
  /**
   * An admin's "force a password reset", inside the admin's transaction: the current password
   * stops working (replaced by the hash of a random one nobody knows), every session ends, and a
   * reset link goes to the account's address. `unusableHash`: passwords.hash of random bytes,
   * made by the caller before its transaction (bcrypt is slow).
   */
  forceReset(target: Users.UserRow, actorId: number, unusableHash: string, meta: RequestMeta, trx: Db): Promise<void>;
  unusableHash(): Promise<string>;
}

export function createPasswordResetService(deps: {
  db: Db;
  passwords: PasswordService;
  sessions: SessionService;
  mail: MailService;
  outbox: Outbox;
  throttles: ThrottleFactory;
  audit: AuditService;
  clock: Clock;
  mfa: MfaService;
  mfaLogin: MfaLoginService;
}): PasswordResetService {
  const { db, passwords, sessions, mail, outbox, throttles, audit, clock, mfa, mfaLogin } = deps;
  const perAddress = throttles('forgot-address', PER_ADDRESS.limit, PER_ADDRESS.windowSeconds);
  const perIp = throttles('forgot-ip', PER_IP.limit, PER_IP.windowSeconds);

  /** The job behind a forgot-password answer: the token, its audit event and its mail commit together. */
  async function sendLink(email: string, meta: RequestMeta, trx: Db): Promise<void> {
    const user = await Users.findUserByEmail(trx, email);
    if (!user || !user.is_active) {
      // Recorded for the audit log (enumeration attempts show up here); nothing is sent.
      await audit.record('password_reset_requested', { userId: user?.id ?? null, meta, details: { result: user ? 'inactive' : 'no_account' } }, trx);
      return;
    }
    const token = await issueLinkToken(trx, clock, {
      userId: user.id,
      purpose: 'reset_password',
      email: user.email,
      ttlSeconds: RESET_TTL_SECONDS,
      passwordFingerprint: passwordFingerprint(user.password_hash),
    });
    await audit.record('password_reset_requested', { userId: user.id, meta, details: { result: 'sent' } }, trx);
    await mail.send({ to: user.email, template: 'password-reset', language: mailLanguage(user, meta), locals: { ...recipientLocals(user), link: mail.link('/auth/reset', { token }) } }, trx);
  }

  outbox.handle(RESET_JOB, {
    job(payload, trx) {
      const { email, meta } = readAddressRequest(payload);
      return sendLink(email, meta, trx);
    },
  });

  /** A reset link is dead once the password it was issued under has changed, by any route. */
  async function liveLink(token: string, trx: Db = db) {
    const row = await findLiveLinkToken(trx, clock, token, ['reset_password']);
    const user = await Users.findUserById(trx, row.user_id);
    if (!user || !user.is_active || row.password_fingerprint !== passwordFingerprint(user.password_hash)) throw new InvalidLinkError();
    return { row, user };
  }

  return {
    unusableHash() {
      return passwords.hash(crypto.randomBytes(32).toString('base64url'));
    },

    async forceReset(target, actorId, unusableHash, meta, trx) {
      const now = clock.now();
      await Users.updateUser(trx, target.id, { password_hash: unusableHash }, now);
      const revoked = await sessions.signOutEverywhere(target.id, 'password_reset_forced', trx);
      const token = await issueLinkToken(trx, clock, {
        userId: target.id, purpose: 'reset_password', email: target.email, ttlSeconds: RESET_TTL_SECONDS, passwordFingerprint: passwordFingerprint(unusableHash),
      });
      await audit.record('password_reset_forced', { userId: target.id, actorId, meta, details: { sessions_revoked: revoked } }, trx);
      await mail.send({ to: target.email, template: 'password-reset-forced', locals: { ...recipientLocals(target), language: target.language, link: mail.link('/auth/reset', { token }) } }, trx);
    },

    async request(email, meta) {
      await perIp.hit(`ip:${meta.ip ?? 'unknown'}`, RESET_MESSAGES.tooManyFromHere);
      await perAddress.hit(addressKey(email), RESET_MESSAGES.tooManyForAddress);
      await outbox.add(RESET_JOB, { email: email.toLowerCase(), meta });
    },

    async check(token) {
      await liveLink(token);
    },

    async reset(token, newPassword, meta) {
      const { user } = await liveLink(token);
      const policyProblem = checkPasswordPolicy(newPassword, { username: user.username, email: user.email });
      if (policyProblem) throw new ValidationError({ new_password: policyProblem });
      const passwordHash = await passwords.hash(newPassword);
      const methods = await mfa.methods(user.id);

      const result = await db.transaction(async (trx): Promise<ResetOutcome> => {
        // Checked again inside the transaction: the link may have been used or outdated meanwhile.
        const { row, user: current } = await liveLink(token, trx);
        await claimLinkToken(trx, clock, row);
        const now = clock.now();
        // Following a link mailed to the address proves the address, as a verification link would.
        const isVerified = current.is_verified || row.email === current.email;
        await Users.updateUser(trx, current.id, { password_hash: passwordHash, is_verified: isVerified, last_login_at: now }, now);
        await sessions.signOutEverywhere(current.id, 'password_reset', trx);
        await Tokens.revokeAccountTokens(trx, current.id, ['reset_password'], now);
        await audit.record('password_reset', { userId: current.id, meta }, trx);
        const updated = { ...current, is_verified: isVerified, last_login_at: now, token_version: current.token_version + 1 };
        await mail.send({ to: current.email, template: 'password-reset-done', language: mailLanguage(current, meta), locals: recipientLocals(current) }, trx);
        // No login was typed, so the step has no account throttle key: the per-IP limit, its own
        // five attempts and the reset link's own limits bound the guessing.
        if (methods.length > 0) return { user: updated, secondStep: await mfaLogin.begin(updated, null, methods, trx) };
        const tokens = await sessions.start(updated, meta, trx);
        await audit.record('logged_in', { userId: current.id, meta, details: { via: 'password_reset' } }, trx);
        return { user: updated, tokens };
      });
      await sessions.forgetCachedState(result.user.id);
      return result;
    },
  };
}
