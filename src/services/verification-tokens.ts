import crypto from 'node:crypto';
import { Message, msg } from '../lib/i18n';
import type { Db } from '../db/knex';
import { AppError, TooManyRequestsError } from '../errors/app-error';
import type { Clock } from '../lib/clock';
import * as Tokens from '../models/account-token.model';

/** 32 random bytes, base64url: 43 characters, 256 bits. */
export const LINK_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export const LINK_MESSAGES = {
  invalid: msg('auth.links.invalid'),
} as const;

/** A link that cannot be used. One message for every reason, so a link tells nothing about an account. */
export class InvalidLinkError extends AppError {
  constructor() {
    super(400, 'invalid_link', LINK_MESSAGES.invalid);
  }
}

export function hashLinkToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** Reset links are bound to the password hash they were issued under: any later change kills them. */
export function passwordFingerprint(passwordHash: string): string {
  return crypto.createHash('sha256').update(passwordHash).digest('hex');
}

export interface IssueOptions {
  userId: number;
  purpose: Tokens.TokenPurpose;
  email: string;
  ttlSeconds: number;
  passwordFingerprint?: string;
}

/**
 * Creates a link token and revokes the user's older live links of the same purpose, so only the
 * newest link works. Returns the token, which exists nowhere else but in the mail.
 */
export async function issueLinkToken(db: Db, clock: Clock, options: IssueOptions): Promise<string> {
  const token = crypto.randomBytes(32).toString('base64url');
  const now = clock.now();
  await Tokens.revokeAccountTokens(db, options.userId, [options.purpose], now);
  await Tokens.insertAccountToken(db, {
    token_hash: hashLinkToken(token),
    purpose: options.purpose,
    user_id: options.userId,
    email: options.email.toLowerCase(),
    password_fingerprint: options.passwordFingerprint ?? null,
    created_at: now,
    expires_at: new Date(now.getTime() + options.ttlSeconds * 1000),
  });
  return token;
}

/** The live token row for a link, or InvalidLinkError. It is not used up here: see claimLinkToken. */
export async function findLiveLinkToken(
  db: Db, clock: Clock, token: string, purposes: readonly Tokens.TokenPurpose[],
): Promise<Tokens.AccountTokenRow> {
  if (!LINK_TOKEN_SHAPE.test(token)) throw new InvalidLinkError();
  const row = await Tokens.findAccountTokenByHash(db, hashLinkToken(token));
  if (!row || !purposes.includes(row.purpose) || row.used_at || row.revoked_at || row.expires_at <= clock.now()) {
    throw new InvalidLinkError();
  }
  return row;
}

/** Uses a link up, atomically: of two concurrent clicks exactly one gets past this. */
export async function claimLinkToken(db: Db, clock: Clock, row: Tokens.AccountTokenRow): Promise<void> {
  if (!(await Tokens.claimAccountToken(db, row.id, clock.now()))) throw new InvalidLinkError();
}

export interface SendLimits {
  minIntervalSeconds: number;
  perHour: number;
  message: Message;
}

/**
 * Per-user throttle for mails a signed-in user asks for (resend verification, email change),
 * counted from the links already issued: it holds across restarts and instances.
 */
export async function checkSendLimits(db: Db, clock: Clock, userId: number, purpose: Tokens.TokenPurpose, limits: SendLimits): Promise<void> {
  const now = clock.now().getTime();
  const issued = await Tokens.listIssueTimes(db, userId, purpose, new Date(now - 3600_000));
  const newest = issued[0];
  if (newest && now - newest.getTime() < limits.minIntervalSeconds * 1000) {
    throw new TooManyRequestsError(Math.ceil((newest.getTime() + limits.minIntervalSeconds * 1000 - now) / 1000), limits.message, 'user-mail');
  }
  const oldestCounted = issued[limits.perHour - 1];
  if (oldestCounted) {
    throw new TooManyRequestsError(Math.max(1, Math.ceil((oldestCounted.getTime() + 3600_000 - now) / 1000)), limits.message, 'user-mail');
  }
}
