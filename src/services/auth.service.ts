import crypto from 'node:crypto';
import { msg } from '../lib/i18n';
import type { Db } from '../db/knex';
import { isUniqueViolation, uniqueViolationColumn } from '../db/knex';
import { ConflictError, UnauthorizedError, ValidationError, FieldMessages } from '../errors/app-error';
import type { Clock } from '../lib/clock';
import { loginCounter, Metrics } from '../lib/metrics';
import type { RequestMeta } from '../lib/request-meta';
import * as Users from '../models/user.model';
import type { AuditService } from './audit.service';
import { checkPasswordPolicy, PasswordService } from './password.service';
import type { MfaService } from './mfa.service';
import type { MfaLoginService, SecondStep } from './mfa-login.service';
import type { BrowserSignIn } from './devices.service';
import type { SignedIn, SignInUser } from './sign-in';
import { EmailNotVerifiedError, VerificationService } from './verification.service';

export type { SignedIn } from './sign-in';

export const AUTH_MESSAGES = {
  invalidCredentials: msg('auth.errors.invalidCredentials'),
  usernameTaken: msg('auth.errors.usernameTaken'),
  emailTaken: msg('auth.errors.emailTaken'),
} as const;

export interface RegistrationInput {
  username: string;
  email: string;
  password: string;
  first_name?: string | null;
  second_name?: string | null;
}

/** The password was right and the account has a second factor: no session until the second step passes. */
export interface SecondStepRequired {
  secondStep: SecondStep;
}

export type LoginResult = SignedIn | SecondStepRequired;

export function needsSecondStep(result: LoginResult): result is SecondStepRequired {
  return 'secondStep' in result;
}

export interface AuthService {
  /**
   * `verified`: the address is vouched for by whoever creates the account (the command line on
   * the server), so it is marked verified and no verification mail is sent.
   */
  register(input: RegistrationInput, meta: RequestMeta, options?: { verified?: boolean }): Promise<Users.UserRow>;
  /** `browser`: registration from the pages (its browser becomes the account's first known device). */
  registerAndSignIn(input: RegistrationInput, meta: RequestMeta, browser?: BrowserSignIn): Promise<SignedIn>;
  /**
   * `throttleKey`: the login throttles' key for this login, so a second step shares their counters.
   * `browser`: a login from the pages ("Remember me", the device cookie); the API passes none.
   */
  login(login: string, password: string, meta: RequestMeta, throttleKey?: string | null, browser?: BrowserSignIn): Promise<LoginResult>;
}

export function createAuthService(deps: {
  db: Db;
  passwords: PasswordService;
  audit: AuditService;
  signIn: SignInUser;
  mfa: MfaService;
  mfaLogin: MfaLoginService;
  clock: Clock;
  verification: VerificationService;
  metrics: Metrics;
  /** REQUIRE_VERIFIED_EMAIL: an unconfirmed address may register but not sign in. */
  requireVerifiedEmail: boolean;
}): AuthService {
  const { db, passwords, audit, signIn, mfa, mfaLogin, clock, verification, requireVerifiedEmail } = deps;
  const logins = loginCounter(deps.metrics);
  const registrations = deps.metrics.counter('gatehouse_registrations_total', 'Accounts created (form, API and the command line)');

  async function takenFields(username: string, email: string): Promise<FieldMessages> {
    const fields: FieldMessages = {};
    if (await Users.findUserByUsername(db, username)) fields.username = AUTH_MESSAGES.usernameTaken;
    if (await Users.findUserByEmail(db, email)) fields.email = AUTH_MESSAGES.emailTaken;
    return fields;
  }

  const service: AuthService = {
    async register(input, meta, options = {}) {
      const email = input.email.toLowerCase();
      const policyProblem = checkPasswordPolicy(input.password, { username: input.username, email });
      if (policyProblem) throw new ValidationError({ password: policyProblem });
      const taken = await takenFields(input.username, email);
      if (Object.keys(taken).length > 0) throw new ConflictError(taken);

      const passwordHash = await passwords.hash(input.password);
      let user: Users.UserRow;
      try {
        user = await db.transaction(async (trx) => {
          const user = await Users.insertUser(trx, {
            public_id: crypto.randomUUID(),
            username: input.username,
            email,
            first_name: input.first_name || null,
            second_name: input.second_name || null,
            password_hash: passwordHash,
            is_verified: options.verified === true,
          }, clock.now());
          await audit.record('registered', { userId: user.id, meta }, trx);
          // The link, its audit event and its mail commit with the account, or none of them do.
          if (!user.is_verified) await verification.sendVerification(user, meta, trx);
          return user;
        });
      } catch (error) {
        // Two registrations raced past the check above: the unique index decided.
        if (!isUniqueViolation(error)) throw error;
        const column = uniqueViolationColumn(error, ['username', 'email']);
        throw new ConflictError(column === 'email' ? { email: AUTH_MESSAGES.emailTaken } : { username: AUTH_MESSAGES.usernameTaken });
      }
      registrations.inc();
      return user;
    },

    async registerAndSignIn(input, meta, browser) {
      const user = await service.register(input, meta);
      if (requireVerifiedEmail && !user.is_verified) throw new EmailNotVerifiedError(user.email, true);
      return signIn(user, meta, undefined, undefined, browser);
    },

    /**
     * One answer for every failure (unknown user, wrong password, disabled account), and the
     * same work on each path: a bcrypt compare (against a dummy hash when there is no user)
     * and one audit row.
     */
    async login(login, password, meta, throttleKey = null, browser) {
      const user = login.includes('@') ? await Users.findUserByEmail(db, login) : await Users.findUserByUsername(db, login);
      const passwordOk = user ? await passwords.verify(password, user.password_hash) : await passwords.verifyAgainstDummy(password);
      if (!user || !passwordOk || !user.is_active) {
        await audit.record('login_failed', { userId: user?.id ?? null, meta, details: { reason: !user ? 'unknown_user' : !passwordOk ? 'wrong_password' : 'inactive' } });
        logins.inc({ outcome: 'wrong_credentials' });
        throw new UnauthorizedError(AUTH_MESSAGES.invalidCredentials, 'invalid_credentials');
      }
      // Only after the right password: a wrong one gets the single answer above, verified or not.
      if (requireVerifiedEmail && !user.is_verified) {
        await audit.record('login_failed', { userId: user.id, meta, details: { reason: 'unverified' } });
        logins.inc({ outcome: 'unverified' });
        throw new EmailNotVerifiedError(user.email);
      }
      const methods = await mfa.methods(user.id);
      if (methods.length > 0) {
        const secondStep = await mfaLogin.begin(user, throttleKey, methods, undefined, browser?.remembered ?? true);
        logins.inc({ outcome: 'second_factor_pending' });
        return { secondStep };
      }
      const signedIn = await signIn(user, meta, undefined, undefined, browser);
      logins.inc({ outcome: 'success' });
      return signedIn;
    },
  };
  return service;
}
