import crypto from 'node:crypto';
import type { Db } from '../db/knex';
import { ConflictError, UnauthorizedError, ValidationError } from '../errors/app-error';
import type { Clock } from '../lib/clock';
import { msg } from '../lib/i18n';
import { DeviceLabel, deviceLabel } from '../lib/device-label';
import type { RequestMeta } from '../lib/request-meta';
import * as Articles from '../models/article.model';
import * as AuditEvents from '../models/audit-event.model';
import * as Devices from '../models/known-device.model';
import * as Passkeys from '../models/passkey.model';
import * as Sessions from '../models/refresh-session.model';
import * as Totp from '../models/totp.model';
import * as Users from '../models/user.model';
import { toPublicMfa, toPublicUser } from '../presenters/user.presenter';
import { ActivityEntry, toActivityEntry } from './activity.service';
import type { AuditService } from './audit.service';
import { isLastActiveAdmin, lockActiveAdminIds } from './last-admin';
import { mailLanguage, MailService, recipientLocals } from './mail.service';
import type { ThrottleFactory } from './mail-throttle';
import { codeProofOf, hasSecondFactor, MfaService, MfaStatus } from './mfa.service';
import type { PasswordService } from './password.service';
import type { SessionService } from './session.service';

export const ACCOUNT_MESSAGES = {
  currentPasswordWrong: msg('account.errors.currentPasswordWrong'),
  secondFactorNeeded: msg('account.errors.secondFactorNeeded'),
  secondFactorWrong: msg('account.errors.secondFactorWrong'),
  lastAdmin: msg('account.errors.lastAdmin'),
  tooManyExports: msg('account.errors.tooManyExports'),
} as const;

/** Downloads per account per hour: an export reads everything the account has. */
export const EXPORTS_PER_HOUR = 5;
/** The newest events an export holds (AUDIT_RETENTION bounds them anyway). */
export const EXPORT_EVENTS_CAP = 10_000;

/** How the deletion is confirmed: the password, and the second factor when the account has one. */
export interface DeletionProof {
  current_password: string;
  code?: string;
  recovery_code?: string;
}

export interface AccountExport {
  format: 'gatehouse-account-export/1';
  exported_at: string;
  profile: ReturnType<typeof toPublicUser> & {
    mfa: ReturnType<typeof toPublicMfa> & {
      totp_enabled_at: string | null;
      passkey_list: { name: string; device_type: string; backed_up: boolean; created_at: string; last_used_at: string | null }[];
    };
  };
  sessions: { device: DeviceLabel; user_agent: string | null; ip: string | null; started_at: string; last_used_at: string; remembered: boolean }[];
  known_browsers: number;
  activity: ActivityEntry[];
  articles: { id: number; title: string; body: string; created_at: string; updated_at: string }[];
}

export interface AccountService {
  /**
   * Everything the account holds, as one JSON document, after the password (the page) or a
   * recent sign-in (the API; see docs/account.md). Never token material, hashes, secrets or
   * public keys. The `data_exported` event commits with the reads, or neither happens.
   */
  exportData(publicId: string, proof: { current_password: string } | { recent: true }, meta: RequestMeta): Promise<AccountExport>;
  /**
   * Deletes the account: every session at once, personal data erased, articles with it, the
   * username and address free again, the audit history kept under a pseudonym, a goodbye mail.
   * One transaction: a failure halfway leaves the account exactly as it was.
   */
  deleteAccount(publicId: string, proof: DeletionProof, meta: RequestMeta): Promise<void>;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function createAccountService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  passwords: PasswordService;
  sessions: SessionService;
  mfa: MfaService;
  mail: MailService;
  throttles: ThrottleFactory;
}): AccountService {
  const { db, clock, audit, passwords, sessions, mfa, mail, throttles } = deps;
  const exportThrottle = throttles('account-export', EXPORTS_PER_HOUR, 3600);

  async function userOf(publicId: string, trx: Db = db): Promise<Users.UserRow> {
    const user = await Users.findUserByPublicId(trx, publicId);
    if (!user || !user.is_active) throw new UnauthorizedError();
    return user;
  }

  async function checkPassword(user: Users.UserRow, password: string): Promise<void> {
    if (!(await passwords.verify(password, user.password_hash))) {
      throw new ValidationError({ current_password: ACCOUNT_MESSAGES.currentPasswordWrong });
    }
  }

  async function collect(trx: Db, user: Users.UserRow, status: MfaStatus): Promise<Omit<AccountExport, 'format' | 'exported_at'>> {
    const now = clock.now();
    const [totp, passkeys, families, devices, events, articles] = await Promise.all([
      Totp.findTotpOfUser(trx, user.id),
      Passkeys.listPasskeysOfUser(trx, user.id),
      Sessions.listActiveFamilies(trx, user.id, now),
      Devices.countKnownDevices(trx, user.id),
      AuditEvents.listAllAuditEventsForUser(trx, user.id, EXPORT_EVENTS_CAP),
      Articles.listArticlesOfAuthor(trx, user.id),
    ]);
    const live = new Set(families.map((family) => family.family_id));
    return {
      profile: {
        ...toPublicUser(user),
        mfa: {
          ...toPublicMfa(status),
          totp_enabled_at: totp?.confirmed_at ? totp.confirmed_at.toISOString() : null,
          passkey_list: passkeys.map((key) => ({ name: key.name, device_type: key.device_type, backed_up: key.backed_up, created_at: key.created_at.toISOString(), last_used_at: iso(key.last_used_at) })),
        },
      },
      sessions: families.map((family) => ({
        device: deviceLabel(family.user_agent), user_agent: family.user_agent, ip: family.ip,
        started_at: family.started_at.toISOString(), last_used_at: family.last_used_at.toISOString(), remembered: family.remembered,
      })),
      known_browsers: devices,
      activity: events.map((row) => toActivityEntry(row, live)),
      articles: articles.map((article) => ({ id: article.id, title: article.title, body: article.body, created_at: article.created_at.toISOString(), updated_at: article.updated_at.toISOString() })),
    };
  }

  /** The second factor, when the account has one: used up inside the deletion's transaction. */
  async function checkSecondFactor(user: Users.UserRow, status: MfaStatus, proof: DeletionProof, meta: RequestMeta, trx: Db): Promise<void> {
    if (!hasSecondFactor(status)) return;
    if (!proof.code && !proof.recovery_code) throw new ValidationError({ code: ACCOUNT_MESSAGES.secondFactorNeeded });
    if (!(await mfa.checkCode(user, codeProofOf(proof), meta, trx))) {
      throw new ValidationError({ [proof.code ? 'code' : 'recovery_code']: ACCOUNT_MESSAGES.secondFactorWrong });
    }
  }

  /** Every row that is the account's own, in dependency order; the users row last. */
  async function erase(trx: Db, userId: number): Promise<void> {
    await Articles.deleteArticlesOfAuthor(trx, userId);
    await Sessions.deleteUserSessions(trx, userId);
    await Devices.deleteUserDevices(trx, userId);
    for (const table of ['account_tokens', 'pending_logins', 'webauthn_challenges', 'mfa_recovery_codes', 'passkeys', 'mfa_totp']) {
      await trx(table).where({ user_id: userId }).delete();
    }
    await trx('users').where({ id: userId }).delete();
  }

  return {
    async exportData(publicId, proof, meta) {
      const user = await userOf(publicId);
      await exportThrottle.hit(publicId, ACCOUNT_MESSAGES.tooManyExports);
      if ('current_password' in proof) await checkPassword(user, proof.current_password);
      const exportedAt = clock.now();
      // Read before the transaction: SQLite's single connection is the transaction's meanwhile.
      const status = await mfa.status(user.id);
      const data = await db.transaction(async (trx) => {
        const collected = await collect(trx, await userOf(publicId, trx), status);
        await audit.record('data_exported', { userId: user.id, meta }, trx);
        return collected;
      });
      return { format: 'gatehouse-account-export/1', exported_at: exportedAt.toISOString(), ...data };
    },

    async deleteAccount(publicId, proof, meta) {
      const user = await userOf(publicId);
      await checkPassword(user, proof.current_password);
      const status = await mfa.status(user.id);
      await db.transaction(async (trx) => {
        const current = await userOf(publicId, trx);
        if (isLastActiveAdmin(await lockActiveAdminIds(db, trx), current.id)) throw new ConflictError({}, ACCOUNT_MESSAGES.lastAdmin);
        await checkSecondFactor(current, status, proof, meta, trx);
        // Random, and the same on every event of the account: its history still reads as one story.
        const pseudonym = `deleted-${crypto.randomBytes(8).toString('hex')}`;
        await AuditEvents.pseudonymiseUserEvents(trx, current.id, pseudonym);
        await audit.record('account_deleted', { meta, subjectPseudonym: pseudonym }, trx);
        await mail.send({ to: current.email, template: 'account-deleted', locals: { ...recipientLocals(current), language: current.language } }, trx);
        await erase(trx, current.id);
      });
      // Every instance forgets the account at once: its tokens name a row that no longer exists.
      await sessions.forgetCachedState(user.id);
    },
  };
}
