import crypto from 'node:crypto';
import type { Message } from '../lib/i18n';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Db } from '../db/knex';
import { UnauthorizedError } from '../errors/app-error';
import type { Clock } from '../lib/clock';
import { loginCounter, Metrics } from '../lib/metrics';
import type { RequestMeta } from '../lib/request-meta';
import * as Pending from '../models/pending-login.model';
import * as Users from '../models/user.model';
import type { AuditService } from './audit.service';
import type { CodeProof, MfaService, SecondFactorMethod } from './mfa.service';
import { MFA_MESSAGES } from './mfa-messages';
import type { PasskeyService } from './passkey.service';
import type { AuthMethods } from './session.service';
import type { BrowserSignIn } from './devices.service';
import type { SignedIn, SignInUser } from './sign-in';
import { EmailNotVerifiedError } from './verification.service';

export const PENDING_LOGIN_TTL_SECONDS = 5 * 60;
/** Wrong codes one password entry buys; then the password must be typed again. */
export const PENDING_LOGIN_MAX_ATTEMPTS = 5;

export interface SecondStep {
  /** Random, single-use; only its SHA-256 is stored. The page keeps it in a cookie, the API hands it to the client. */
  token: string;
  methods: SecondFactorMethod[];
  expiresIn: number;
}

export interface PendingLogin {
  id: number;
  user: Users.UserRow;
  throttleKey: string | null;
  methods: SecondFactorMethod[];
  /** The login form's "Remember me", for the session the step opens. */
  remembered: boolean;
}

export interface PasskeyProof {
  passkey: { binding: string; response: AuthenticationResponseJSON };
}

export type SecondStepProof = CodeProof | PasskeyProof;

export interface MfaLoginService {
  begin(user: Users.UserRow, throttleKey: string | null, methods: SecondFactorMethod[], trx?: Db, remembered?: boolean): Promise<SecondStep>;
  /** The pending step behind a token, while it can still be finished by that user as they are now. */
  find(token: string): Promise<PendingLogin | undefined>;
  /**
   * Passes the second step and signs in; 401 for a wrong or reused proof (counted by the login
   * throttles). `device`: the step is finished in a browser (the page), with its device cookie.
   */
  complete(token: string, proof: SecondStepProof, meta: RequestMeta, device?: { deviceId?: string }): Promise<SignedIn>;
  /** A discoverable passkey alone (with user verification), from the login page: no password, no second step. */
  signInWithPasskey(binding: string, response: AuthenticationResponseJSON, meta: RequestMeta, browser?: BrowserSignIn): Promise<SignedIn>;
  /** Deletes expired pending logins (run hourly by the server). */
  prune(): Promise<number>;
}

const digestOf = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

const AMR: Record<'otp' | 'recovery_code' | 'passkey', AuthMethods> = {
  otp: ['pwd', 'otp', 'mfa'],
  // RFC 8176 has no value for a printed one-time code: two factors were used, say no more.
  recovery_code: ['pwd', 'mfa'],
  passkey: ['pwd', 'hwk', 'mfa'],
};

export function createMfaLoginService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  mfa: MfaService;
  passkeys: PasskeyService;
  signIn: SignInUser;
  requireVerifiedEmail: boolean;
  metrics: Metrics;
}): MfaLoginService {
  const { db, clock, audit, mfa, passkeys, signIn, requireVerifiedEmail } = deps;
  // The same series as the password step (auth.service.ts): a second step that passes is a login.
  const logins = loginCounter(deps.metrics);
  const expired = () => new UnauthorizedError(MFA_MESSAGES.pendingExpired, 'mfa_token_invalid');

  async function refuse(pending: PendingLogin, method: string, meta: RequestMeta, message: Message): Promise<never> {
    await Pending.countFailedAttempt(db, pending.id, PENDING_LOGIN_MAX_ATTEMPTS);
    await audit.record('login_failed', { userId: pending.user.id, meta, details: { reason: 'second_factor', method } });
    logins.inc({ outcome: 'wrong_credentials' });
    throw new UnauthorizedError(message, 'invalid_code');
  }

  const service: MfaLoginService = {
    async begin(user, throttleKey, methods, trx = db, remembered = true) {
      const token = crypto.randomBytes(32).toString('base64url');
      const now = clock.now();
      await Pending.insertPendingLogin(trx, {
        token_digest: digestOf(token), user_id: user.id, token_version: user.token_version, throttle_key: throttleKey, remembered,
        created_at: now, expires_at: new Date(now.getTime() + PENDING_LOGIN_TTL_SECONDS * 1000),
      });
      return { token, methods, expiresIn: PENDING_LOGIN_TTL_SECONDS };
    },

    /**
     * A disabled account, a password change, "sign out everywhere" (token_version moved) or a
     * second factor removed in the meantime all void the step.
     */
    async find(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > 128) return undefined;
      const row = await Pending.findLivePendingLogin(db, digestOf(token), clock.now(), PENDING_LOGIN_MAX_ATTEMPTS);
      if (!row) return undefined;
      const user = await Users.findUserById(db, row.user_id);
      if (!user || !user.is_active || user.token_version !== row.token_version) return undefined;
      const methods = await mfa.methods(user.id);
      return methods.length > 0 ? { id: row.id, user, throttleKey: row.throttle_key, methods, remembered: row.remembered } : undefined;
    },

    async complete(token, proof, meta, device) {
      const pending = await service.find(token);
      if (!pending) throw expired();
      // The passkey is checked first, outside the transaction: it has its own single-use challenge.
      const assertion = 'passkey' in proof
        ? await passkeys.verifyAssertion('second_step', proof.passkey.binding, proof.passkey.response, pending.user.id)
        : undefined;
      if ('passkey' in proof && !assertion) return refuse(pending, 'passkey', meta, MFA_MESSAGES.passkeyFailed);

      const signedIn = await db.transaction(async (trx) => {
        const method = 'passkey' in proof ? 'passkey' : await mfa.checkCode(pending.user, proof, meta, trx);
        if (!method) return undefined;
        // Only one request finishes a step, however many carry a right code at once.
        if (!(await Pending.finishPendingLogin(trx, pending.id, clock.now()))) throw expired();
        const browser = device ? { deviceId: device.deviceId, remembered: pending.remembered } : undefined;
        return signIn(pending.user, meta, AMR[method], trx, browser);
      });
      if (signedIn) {
        logins.inc({ outcome: 'success' });
        return signedIn;
      }
      const method = 'code' in proof ? 'totp' : 'recovery_code';
      return refuse(pending, method, meta, method === 'totp' ? MFA_MESSAGES.wrongCode : MFA_MESSAGES.wrongRecoveryCode);
    },

    async signInWithPasskey(binding, response, meta, browser) {
      const assertion = await passkeys.verifyAssertion('sign_in', binding, response);
      const user = assertion ? await Users.findUserById(db, assertion.passkey.user_id) : undefined;
      // The authenticator names the account it holds the key for: it must be the key's owner.
      const handleMatches = assertion?.userHandle === undefined || assertion.userHandle === user?.public_id;
      if (!assertion || !user || !user.is_active || !assertion.userVerified || !handleMatches) {
        await audit.record('login_failed', { userId: user?.id ?? null, meta, details: { reason: 'passkey' } });
        logins.inc({ outcome: 'wrong_credentials' });
        throw new UnauthorizedError(MFA_MESSAGES.passkeyFailed, 'passkey_failed');
      }
      if (requireVerifiedEmail && !user.is_verified) {
        await audit.record('login_failed', { userId: user.id, meta, details: { reason: 'unverified' } });
        throw new EmailNotVerifiedError(user.email);
      }
      const signedIn = await signIn(user, meta, ['hwk', 'mfa'], undefined, browser);
      logins.inc({ outcome: 'success' });
      return signedIn;
    },

    prune() {
      return Pending.prunePendingLogins(db, clock.now());
    },
  };
  return service;
}
