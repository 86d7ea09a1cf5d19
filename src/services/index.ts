import type { Config } from '../config/env';
import { loadDataKey } from '../config/data-key';
import type { SigningKeys } from '../config/keys';
import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import { createDataCipher } from '../lib/data-cipher';
import { createLogger } from '../lib/logger';
import { createAdminService } from './admin.service';
import { createArticleService } from './article.service';
import { createAuditService } from './audit.service';
import { createAuthService } from './auth.service';
import { createTaskQueue } from './mail-queue';
import { createMailService } from './mail.service';
import { createMfaLoginService } from './mfa-login.service';
import { createMfaService } from './mfa.service';
import { createPasskeyService } from './passkey.service';
import { createPasswordResetService } from './password-reset.service';
import { createPasswordService } from './password.service';
import { createReauthService } from './reauth.service';
import { createRecoveryCodeService } from './recovery-codes.service';
import { createSessionService } from './session.service';
import { createSignIn } from './sign-in';
import { createTokenService } from './token.service';
import { createTotpService } from './totp.service';
import { createUserService } from './user.service';
import { createVerificationService } from './verification.service';

/**
 * Wires every service once per app. Controllers receive this object, never the database.
 * `dataKey` is DATA_ENCRYPTION_KEY (see config/data-key.ts); by default read from the configuration.
 */
export function createServices(config: Config, db: Db, keys: SigningKeys, clock: Clock, logger = createLogger(config), dataKey = loadDataKey(config)) {
  const audit = createAuditService(db, clock);
  const passwords = createPasswordService(config.passwords.bcryptCost);
  const tokens = createTokenService(config.jwt, keys, clock);
  const sessions = createSessionService({ db, tokens, audit, clock, jwt: config.jwt });
  // Mail, and the account lookups of forgot-password, run after the response (see mail-queue.ts).
  const background = createTaskQueue(logger);
  const mail = createMailService({ config, queue: background, logger });
  const verification = createVerificationService({ db, mail, queue: background, audit, clock, accountChanged: sessions.forgetCachedState });
  const cipher = createDataCipher(dataKey);
  const totp = createTotpService({ db, cipher, clock });
  const recoveryCodes = createRecoveryCodeService({ db, cipher, clock });
  const passkeys = createPasskeyService({ db, clock, appUrl: config.appUrl });
  const mfa = createMfaService({ db, clock, audit, mail, totp, recoveryCodes, passkeys, accountChanged: sessions.forgetCachedState });
  const signIn = createSignIn({ db, sessions, audit, clock });
  const requireVerifiedEmail = config.accounts.requireVerifiedEmail;
  const mfaLogin = createMfaLoginService({ db, clock, audit, mfa, passkeys, signIn, requireVerifiedEmail });
  const reauth = createReauthService({ db, clock, audit, passwords, sessions, mfa, passkeys, cipher });
  const passwordReset = createPasswordResetService({ db, passwords, sessions, mail, queue: background, audit, clock, mfa, mfaLogin });
  const auth = createAuthService({ db, passwords, audit, signIn, mfa, mfaLogin, clock, verification, requireVerifiedEmail });
  const users = createUserService({ db, passwords, sessions, audit, clock, verification });
  const articles = createArticleService({ db, clock });
  const admin = createAdminService({ db, sessions, audit, clock, mfa });
  return {
    audit, passwords, tokens, sessions, auth, users, articles, admin, background, mail, verification, passwordReset,
    totp, passkeys, mfa, mfaLogin, reauth,
  };
}

export type Services = ReturnType<typeof createServices>;
