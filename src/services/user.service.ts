import type { Db } from '../db/knex';
import { msg } from '../lib/i18n';
import { UnauthorizedError, ValidationError } from '../errors/app-error';
import type { Clock } from '../lib/clock';
import type { RequestMeta } from '../lib/request-meta';
import * as Users from '../models/user.model';
import type { AccountState } from './access-check';
import type { AuditService } from './audit.service';
import { checkPasswordPolicy, PasswordService } from './password.service';
import type { AuthMethods, SessionService, TokenPair } from './session.service';
import type { VerificationService } from './verification.service';

export const PROFILE_MESSAGES = {
  currentPasswordNeeded: msg('me.errors.currentPasswordNeeded'),
  currentPasswordWrong: msg('me.errors.currentPasswordWrong'),
} as const;

export interface ProfileChanges {
  first_name?: string | null;
  second_name?: string | null;
  email?: string;
  current_password?: string;
  /** A supported language code, or '' for "no choice" (the browser's then). */
  language?: string;
}

export interface PasswordChange {
  current_password: string;
  new_password: string;
}

export interface UserService {
  getByPublicId(publicId: string): Promise<Users.UserRow>;
  /** The signed-in user's own pages: from the revocation check's cache, no query of its own (see access-check.ts). */
  current(signedIn: { id: string; sessionId: string }): Promise<Pick<AccountState, 'user' | 'pendingEmail' | 'mfa'>>;
  updateProfile(publicId: string, changes: ProfileChanges, meta: RequestMeta): Promise<Users.UserRow>;
  /**
   * `amr`: how the current sign-in was authenticated, which the fresh session for this device
   * keeps, with its "Remember me" (`familyId`: the current sign-in).
   */
  changePassword(publicId: string, change: PasswordChange, meta: RequestMeta, amr?: AuthMethods, familyId?: string): Promise<TokenPair>;
}

export function createUserService(deps: {
  db: Db;
  passwords: PasswordService;
  sessions: SessionService;
  audit: AuditService;
  clock: Clock;
  verification: VerificationService;
}): UserService {
  const { db, passwords, sessions, audit, clock, verification } = deps;

  const service: UserService = {
    async getByPublicId(publicId) {
      const user = await Users.findUserByPublicId(db, publicId);
      if (!user) throw new UnauthorizedError();
      return user;
    },

    async current(signedIn) {
      const account = await sessions.currentAccount(signedIn.id, signedIn.sessionId);
      if (!account) throw new UnauthorizedError();
      return account;
    },

    /**
     * Names change freely; the email only with the current password, as Devise and Django ask,
     * and only once the new address is confirmed: here it is merely requested (see
     * VerificationService.requestEmailChange), which never says whether the address is taken.
     */
    async updateProfile(publicId, changes, meta) {
      const user = await service.getByPublicId(publicId);
      const patch: Users.UserPatch = {};
      if (changes.first_name !== undefined) patch.first_name = changes.first_name || null;
      if (changes.second_name !== undefined) patch.second_name = changes.second_name || null;
      if (changes.language !== undefined && (changes.language || null) !== user.language) patch.language = changes.language || null;

      const email = changes.email?.toLowerCase();
      if (email !== undefined && email !== user.email) {
        if (!changes.current_password) throw new ValidationError({ current_password: PROFILE_MESSAGES.currentPasswordNeeded });
        if (!(await passwords.verify(changes.current_password, user.password_hash))) {
          throw new ValidationError({ current_password: PROFILE_MESSAGES.currentPasswordWrong });
        }
        await verification.requestEmailChange(user, email, meta);
      }
      if (Object.keys(patch).length === 0) return user;

      await db.transaction(async (trx) => {
        await Users.updateUser(trx, user.id, patch, clock.now());
        await audit.record('profile_updated', { userId: user.id, meta, details: { fields: Object.keys(patch) } }, trx);
      });
      await sessions.forgetCachedState(user.id);
      return service.getByPublicId(publicId);
    },

    /**
     * A new password ends every session, this one included, and starts a fresh one for this
     * device: a thief holding any earlier token, even this browser's, is out at once.
     */
    async changePassword(publicId, change, meta, amr, familyId) {
      const user = await service.getByPublicId(publicId);
      if (!(await passwords.verify(change.current_password, user.password_hash))) {
        throw new ValidationError({ current_password: PROFILE_MESSAGES.currentPasswordWrong });
      }
      const policyProblem = checkPasswordPolicy(change.new_password, { username: user.username, email: user.email });
      if (policyProblem) throw new ValidationError({ new_password: policyProblem });

      const passwordHash = await passwords.hash(change.new_password);
      const remembered = familyId === undefined ? true : await sessions.isRemembered(user.id, familyId);
      const tokens = await db.transaction(async (trx) => {
        const now = clock.now();
        await Users.updateUser(trx, user.id, { password_hash: passwordHash }, now);
        await sessions.signOutEverywhere(user.id, 'password_change', trx);
        await audit.record('password_changed', { userId: user.id, meta }, trx);
        return sessions.start({ ...user, token_version: user.token_version + 1 }, meta, trx, amr, remembered);
      });
      await sessions.forgetCachedState(user.id);
      return tokens;
    },
  };
  return service;
}
