import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Db } from '../db/knex';
import { UnauthorizedError, ValidationError } from '../errors/app-error';
import { Clock, secondsSinceEpoch } from '../lib/clock';
import { DataCipher, SealError } from '../lib/data-cipher';
import type { RequestMeta } from '../lib/request-meta';
import * as Users from '../models/user.model';
import type { AuditService } from './audit.service';
import { hasSecondFactor, MfaService } from './mfa.service';
import { MFA_MESSAGES } from './mfa-messages';
import type { PasskeyService } from './passkey.service';
import type { PasswordService } from './password.service';
import type { SessionService } from './session.service';

/** Sudo mode: a sensitive action needs an authentication (login or confirmation) this recent. */
export const REAUTH_WINDOW_SECONDS = 10 * 60;

export type ReauthProof =
  | { current_password: string }
  | { code: string }
  | { passkey: { binding: string; response: AuthenticationResponseJSON } };

export interface ReauthService {
  /** True when this sign-in authenticated within the last ten minutes. */
  isRecent(userPublicId: string, familyId: string): Promise<boolean>;
  /** "Confirm it's you" with a password, an authenticator code or a passkey; 422 at the field when it is wrong. */
  confirm(userPublicId: string, familyId: string, proof: ReauthProof, meta: RequestMeta): Promise<void>;
  /** The API's confirmation of a sensitive action: the current password in the body (422 at the field when wrong). */
  requirePassword(user: Users.UserRow, password: string): Promise<void>;
  /** Which proofs the confirm page can offer this user besides the password. */
  confirmOptions(userPublicId: string): Promise<{ totp: boolean; passkeys: boolean }>;
  /**
   * A form held across the confirm page, sealed (AES-256-GCM) to this sign-in and the path it
   * was posted to, for ten minutes: the page carries it without showing or storing what was typed.
   */
  holdForm(userPublicId: string, familyId: string, path: string, fields: Record<string, string>): string;
  openHeldForm(userPublicId: string, familyId: string, path: string, sealed: string): Record<string, string> | undefined;
}

export function createReauthService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  passwords: PasswordService;
  sessions: SessionService;
  mfa: MfaService;
  passkeys: PasskeyService;
  cipher: DataCipher;
}): ReauthService {
  const { db, clock, audit, passwords, sessions, mfa, passkeys, cipher } = deps;
  const heldContext = (publicId: string, familyId: string, path: string) => `held form:${publicId}:${familyId}:${path.toLowerCase()}`;

  async function userOf(publicId: string): Promise<Users.UserRow> {
    const user = await Users.findUserByPublicId(db, publicId);
    if (!user || !user.is_active) throw new UnauthorizedError();
    return user;
  }

  async function check(user: Users.UserRow, proof: ReauthProof, meta: RequestMeta): Promise<boolean> {
    if ('current_password' in proof) return passwords.verify(proof.current_password, user.password_hash);
    if ('passkey' in proof) return (await passkeys.verifyAssertion('confirm', proof.passkey.binding, proof.passkey.response, user.id)) !== undefined;
    // A code is used up like any other: the same code cannot then pass a login or another confirmation.
    return (await db.transaction((trx) => mfa.checkCode(user, proof, meta, trx))) !== undefined;
  }

  return {
    async isRecent(userPublicId, familyId) {
      const user = await Users.findUserByPublicId(db, userPublicId);
      if (!user) return false;
      const last = await sessions.lastAuthentication(user.id, familyId);
      return last !== undefined && clock.now().getTime() - last.getTime() <= REAUTH_WINDOW_SECONDS * 1000;
    },

    async confirm(userPublicId, familyId, proof, meta) {
      const user = await userOf(userPublicId);
      const method = 'current_password' in proof ? 'password' : 'code' in proof ? 'totp' : 'passkey';
      if (!(await check(user, proof, meta))) {
        await audit.record('reauthentication_failed', { userId: user.id, meta, details: { method } });
        const field = method === 'password' ? 'current_password' : method === 'totp' ? 'code' : 'passkey_response';
        const message = method === 'password' ? MFA_MESSAGES.currentPasswordWrong : method === 'totp' ? MFA_MESSAGES.wrongCode : MFA_MESSAGES.passkeyFailed;
        throw new ValidationError({ [field]: message }, message);
      }
      if (!(await sessions.confirmIdentity(user.id, familyId))) throw new UnauthorizedError();
      await audit.record('reauthenticated', { userId: user.id, meta, details: { method } });
    },

    async requirePassword(user, password) {
      if (!(await passwords.verify(password, user.password_hash))) throw new ValidationError({ current_password: MFA_MESSAGES.currentPasswordWrong });
    },

    async confirmOptions(userPublicId) {
      const status = await mfa.status((await userOf(userPublicId)).id);
      return { totp: status.totp, passkeys: hasSecondFactor(status) && status.passkeys > 0 };
    },

    holdForm(userPublicId, familyId, path, fields) {
      const payload = JSON.stringify({ exp: secondsSinceEpoch(clock) + REAUTH_WINDOW_SECONDS, fields });
      return cipher.seal(payload, heldContext(userPublicId, familyId, path));
    },

    openHeldForm(userPublicId, familyId, path, sealed) {
      try {
        const { exp, fields } = JSON.parse(cipher.open(sealed, heldContext(userPublicId, familyId, path))) as { exp: number; fields: Record<string, string> };
        return exp >= secondsSinceEpoch(clock) ? fields : undefined;
      } catch (error) {
        if (error instanceof SealError || error instanceof SyntaxError) return undefined;
        throw error;
      }
    },
  };
}
