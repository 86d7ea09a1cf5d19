import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { Db, isUniqueViolation } from '../db/knex';
import { ConflictError, FieldMessages, ForbiddenError, NotFoundError, ValidationError } from '../errors/app-error';
import type { Clock } from '../lib/clock';
import { msg } from '../lib/i18n';
import type { RequestMeta } from '../lib/request-meta';
import * as Passkeys from '../models/passkey.model';
import { findUserByPublicId, UserRow } from '../models/user.model';
import type { AuditService } from './audit.service';
import { mailLanguage, MailService } from './mail.service';
import { MFA_MESSAGES, SecurityChange } from './mfa-messages';
import type { PasskeyService } from './passkey.service';
import type { RecoveryCodeService } from './recovery-codes.service';
import type { TotpService, TotpSetup } from './totp.service';

export interface MfaStatus {
  totp: boolean;
  passkeys: number;
  recoveryCodesLeft: number;
}

export type SecondFactorMethod = 'totp' | 'recovery_code' | 'passkey';

/** A code typed to prove the second factor: from the authenticator app, or a recovery code. */
export type CodeProof = { code: string } | { recovery_code: string };

export interface MfaService {
  status(userId: number): Promise<MfaStatus>;
  hasSecondFactorByPublicId(publicId: string): Promise<boolean>;
  /** The ways this user can pass a second step; empty when they have no second factor. */
  methods(userId: number): Promise<SecondFactorMethod[]>;
  beginTotpSetup(user: UserRow): Promise<TotpSetup>;
  /** Turns the app on with its first code; returns the new recovery codes (shown once). */
  confirmTotp(user: UserRow, code: string, meta: RequestMeta): Promise<string[]>;
  disableTotp(user: UserRow, proof: CodeProof, meta: RequestMeta): Promise<void>;
  /** Checks a code (a recovery code is used up, audited and mailed about) inside `trx`. Which kind passed, or undefined. */
  checkCode(user: UserRow, proof: CodeProof, meta: RequestMeta, trx: Db): Promise<'otp' | 'recovery_code' | undefined>;
  regenerateRecoveryCodes(user: UserRow, meta: RequestMeta): Promise<string[]>;
  /** Stores a passkey from a verified ceremony; returns recovery codes when this was the first second factor. */
  addPasskey(user: UserRow, binding: string, name: string, response: RegistrationResponseJSON, meta: RequestMeta): Promise<string[] | null>;
  removePasskey(user: UserRow, passkeyId: number, meta: RequestMeta): Promise<string>;
  listPasskeys(userId: number): Promise<Passkeys.PasskeyRow[]>;
  /** An admin removes every second factor of another user (lost phone): audited and mailed. */
  resetByAdmin(actor: UserRow, target: UserRow, meta: RequestMeta): Promise<void>;
}

/** The code a request proves the second factor with: `code` or `recovery_code` (validation lets exactly one through). */
export function codeProofOf(data: { code?: string; recovery_code?: string }): CodeProof {
  return data.code ? { code: data.code } : { recovery_code: data.recovery_code ?? '' };
}

export function hasSecondFactor(status: MfaStatus): boolean {
  return status.totp || status.passkeys > 0;
}

export function createMfaService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  mail: MailService;
  totp: TotpService;
  recoveryCodes: RecoveryCodeService;
  passkeys: PasskeyService;
  /** Drops the per-process account cache (which carries the MFA status of GET /api/me). */
  accountChanged: (userId: number) => Promise<void>;
}): MfaService {
  const { db, audit, mail, totp, recoveryCodes, passkeys, accountChanged } = deps;

  /** Every change is an audit event and a short notice to the account's address, in the change's transaction. */
  async function notify(user: UserRow, change: SecurityChange, meta: RequestMeta, trx: Db, extra: { actorId?: number; details?: Record<string, unknown> } = {}) {
    await audit.record(change, { userId: user.id, actorId: extra.actorId ?? null, meta, details: extra.details }, trx);
    // i18n-dynamic: mail.securityNotice.summary.
    const summary = msg(`mail.securityNotice.summary.${change}`);
    await mail.send({ to: user.email, template: 'security-notice', language: mailLanguage(user, meta), locals: { name: user.first_name || user.username, summary } }, trx);
  }

  async function status(userId: number, trx: Db = db): Promise<MfaStatus> {
    const [totpOn, keys, left] = await Promise.all([totp.isEnabled(userId, trx), Passkeys.listPasskeysOfUser(trx, userId), recoveryCodes.countLeft(userId, trx)]);
    return { totp: totpOn, passkeys: keys.length, recoveryCodesLeft: left };
  }

  /** Without a second factor, recovery codes recover nothing: they go with the last one. */
  async function dropCodesIfNoFactorLeft(userId: number, trx: Db): Promise<void> {
    if (!hasSecondFactor(await status(userId, trx))) await recoveryCodes.remove(userId, trx);
  }

  /** A change to the user's second factors, then every instance's cached account of theirs is dropped. */
  async function afterChange<T>(userId: number, work: (trx: Db) => Promise<T>): Promise<T> {
    const result = await db.transaction(work);
    await accountChanged(userId);
    return result;
  }

  const service: MfaService = {
    status,

    async hasSecondFactorByPublicId(publicId) {
      const user = await findUserByPublicId(db, publicId);
      return user !== undefined && hasSecondFactor(await status(user.id));
    },

    async methods(userId) {
      const current = await status(userId);
      const methods: SecondFactorMethod[] = [];
      if (current.totp) methods.push('totp');
      if (hasSecondFactor(current) && current.recoveryCodesLeft > 0) methods.push('recovery_code');
      if (current.passkeys > 0) methods.push('passkey');
      return methods;
    },

    async beginTotpSetup(user) {
      if (await totp.isEnabled(user.id)) throw new ConflictError({}, MFA_MESSAGES.totpAlreadyOn);
      return totp.beginSetup(user.id, user.username);
    },

    confirmTotp(user, code, meta) {
      return afterChange(user.id, async (trx) => {
        if (!(await totp.confirm(user.id, code, trx))) {
          const pending = await totp.pendingSetup(user.id, user.username, trx);
          throw new ValidationError({ code: pending ? MFA_MESSAGES.wrongCode : MFA_MESSAGES.totpNotPending });
        }
        const codes = await recoveryCodes.generate(user.id, trx);
        await notify(user, 'totp_enabled', meta, trx);
        return codes;
      });
    },

    disableTotp(user, proof, meta) {
      return afterChange(user.id, async (trx) => {
        if (!(await totp.isEnabled(user.id, trx))) throw new ConflictError({}, MFA_MESSAGES.totpNotOn);
        if (!(await service.checkCode(user, proof, meta, trx))) throw new ValidationError(wrongProof(proof));
        await totp.remove(user.id, trx);
        await dropCodesIfNoFactorLeft(user.id, trx);
        await notify(user, 'totp_disabled', meta, trx);
      });
    },

    async checkCode(user, proof, meta, trx) {
      if ('code' in proof) return (await totp.verify(user.id, proof.code, trx)) ? 'otp' : undefined;
      if (!(await recoveryCodes.use(user.id, proof.recovery_code, trx))) return undefined;
      await notify(user, 'recovery_code_used', meta, trx, { details: { left: await recoveryCodes.countLeft(user.id, trx) } });
      return 'recovery_code';
    },

    regenerateRecoveryCodes(user, meta) {
      return afterChange(user.id, async (trx) => {
        if (!hasSecondFactor(await status(user.id, trx))) throw new ConflictError({}, MFA_MESSAGES.noSecondFactor);
        const codes = await recoveryCodes.generate(user.id, trx);
        await notify(user, 'recovery_codes_generated', meta, trx);
        return codes;
      });
    },

    async addPasskey(user, binding, name, response, meta) {
      const verified = await passkeys.verifyRegistration(user, binding, response);
      if (!verified) throw new ValidationError({ passkey_response: MFA_MESSAGES.passkeyFailed }, MFA_MESSAGES.passkeyFailed);
      try {
        return await afterChange(user.id, async (trx) => {
          const hadFactor = hasSecondFactor(await status(user.id, trx));
          await Passkeys.insertPasskey(trx, { ...verified, name });
          const codes = hadFactor && (await recoveryCodes.countLeft(user.id, trx)) > 0 ? null : await recoveryCodes.generate(user.id, trx);
          await notify(user, 'passkey_added', meta, trx, { details: { name } });
          return codes;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError({ passkey_response: MFA_MESSAGES.passkeyAlreadyRegistered }, MFA_MESSAGES.passkeyAlreadyRegistered);
        throw error;
      }
    },

    removePasskey(user, passkeyId, meta) {
      return afterChange(user.id, async (trx) => {
        const removed = await Passkeys.deletePasskey(trx, user.id, passkeyId);
        if (!removed) throw new NotFoundError(MFA_MESSAGES.passkeyNotFound);
        await dropCodesIfNoFactorLeft(user.id, trx);
        await notify(user, 'passkey_removed', meta, trx, { details: { name: removed.name } });
        return removed.name;
      });
    },

    listPasskeys(userId) {
      return Passkeys.listPasskeysOfUser(db, userId);
    },

    resetByAdmin(actor, target, meta) {
      if (actor.id === target.id) throw new ForbiddenError(MFA_MESSAGES.mfaResetSelf);
      return afterChange(target.id, async (trx) => {
        const before = await status(target.id, trx);
        if (!hasSecondFactor(before) && before.recoveryCodesLeft === 0) throw new ConflictError({}, MFA_MESSAGES.mfaNothingToReset);
        await totp.remove(target.id, trx);
        await Passkeys.deletePasskeysOfUser(trx, target.id);
        await recoveryCodes.remove(target.id, trx);
        await notify(target, 'mfa_reset', meta, trx, { actorId: actor.id, details: { totp: before.totp, passkeys: before.passkeys } });
      });
    },
  };
  return service;
}

function wrongProof(proof: CodeProof): FieldMessages {
  return 'code' in proof ? { code: MFA_MESSAGES.wrongCode } : { recovery_code: MFA_MESSAGES.wrongRecoveryCode };
}
