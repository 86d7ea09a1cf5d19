import type { Config } from '../config/env';
import { loadDataKey } from '../config/data-key';
import type { SigningKeys } from '../config/keys';
import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import type { Logger } from 'pino';
import { createDataCipher } from '../lib/data-cipher';
import { createLogger } from '../lib/logger';
import { createMetrics, Metrics } from '../lib/metrics';
import { createAccountService } from './account.service';
import { createActivityService } from './activity.service';
import { createAdminService } from './admin.service';
import { createArticleService } from './article.service';
import { createAuditService } from './audit.service';
import { createAuthService } from './auth.service';
import { createDeviceService } from './devices.service';
import type { RedisCommander, RedisSubscriber } from '../lib/redis';
import { AccountChanges, createLocalAccountChanges, createRedisAccountChanges } from './account-changes';
import { createThrottleFactory } from './mail-throttle';
import { createMailService } from './mail.service';
import { createMfaLoginService } from './mfa-login.service';
import { createMfaService } from './mfa.service';
import { createOutbox } from './outbox';
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

export const DEFAULT_REDIS_PREFIX = 'gatehouse:';

/**
 * What instances share besides the database, when REDIS_URL is set: counters (rate limits, the
 * mail forms' throttles) and account-change messages. Absent, all of it lives in this process.
 */
export interface SharedState {
  redis?: RedisCommander;
  /** A second connection, for the account-change channel. */
  subscriber?: RedisSubscriber;
  /** Before every key and channel name, so several deployments (or test runs) can share one Redis. */
  prefix?: string;
}

function accountChangesFor(shared: SharedState, logger: Logger): AccountChanges {
  const { redis, subscriber, prefix = DEFAULT_REDIS_PREFIX } = shared;
  if (!redis || !subscriber) return createLocalAccountChanges();
  return createRedisAccountChanges({ commands: redis, subscriber, channel: `${prefix}account-changes`, logger });
}

/**
 * Wires every service once per app. Controllers receive this object, never the database.
 * `dataKey` is DATA_ENCRYPTION_KEY (see config/data-key.ts); by default read from the configuration.
 */
export function createServices(
  config: Config, db: Db, keys: SigningKeys, clock: Clock, logger = createLogger(config), metrics: Metrics = createMetrics(),
  shared: SharedState = {}, dataKey = loadDataKey(config),
) {
  const audit = createAuditService(db, clock, config.audit.retentionSeconds);
  const passwords = createPasswordService(config.passwords.bcryptCost);
  const tokens = createTokenService(config.jwt, keys, clock);
  const accountChanges = accountChangesFor(shared, logger);
  const sessions = createSessionService({ db, tokens, audit, clock, jwt: config.jwt, changes: accountChanges, metrics });
  const throttles = createThrottleFactory({ clock, logger, redis: shared.redis, prefix: `${shared.prefix ?? DEFAULT_REDIS_PREFIX}throttle:` });
  // Mail, and the account lookups of the public mail forms, are done after commit (see outbox.ts).
  const outbox = createOutbox({ db, clock, logger, metrics, options: { retryForSeconds: config.mail.retryForSeconds } });
  metrics.gauge('gatehouse_mail_outbox_depth', 'Outbox rows still to be done (mail, and the jobs behind the public mail forms)', () => outbox.depth());
  const mail = createMailService({ config, outbox, logger });
  const verification = createVerificationService({ db, mail, outbox, throttles, audit, clock, accountChanged: sessions.forgetCachedState });
  const cipher = createDataCipher(dataKey);
  const totp = createTotpService({ db, cipher, clock });
  const recoveryCodes = createRecoveryCodeService({ db, cipher, clock });
  const passkeys = createPasskeyService({ db, clock, appUrl: config.appUrl });
  const mfa = createMfaService({ db, clock, audit, mail, totp, recoveryCodes, passkeys, accountChanged: sessions.forgetCachedState });
  const devices = createDeviceService({ db, clock, audit, mail });
  const signIn = createSignIn({ db, sessions, audit, clock, devices });
  const requireVerifiedEmail = config.accounts.requireVerifiedEmail;
  const mfaLogin = createMfaLoginService({ db, clock, audit, mfa, passkeys, signIn, requireVerifiedEmail, metrics });
  const reauth = createReauthService({ db, clock, audit, passwords, sessions, mfa, passkeys, cipher });
  const passwordReset = createPasswordResetService({ db, passwords, sessions, mail, outbox, throttles, audit, clock, mfa, mfaLogin });
  const auth = createAuthService({ db, passwords, audit, signIn, mfa, mfaLogin, clock, verification, metrics, requireVerifiedEmail });
  const users = createUserService({ db, passwords, sessions, audit, clock, verification });
  const articles = createArticleService({ db, clock });
  const admin = createAdminService({ db, sessions, audit, clock, mfa, passwordReset });
  const activity = createActivityService({ db, clock });
  const account = createAccountService({ db, clock, audit, passwords, sessions, mfa, mail, throttles });
  return {
    audit, passwords, tokens, sessions, accountChanges, auth, users, articles, admin, outbox, mail, verification, passwordReset, metrics,
    totp, passkeys, mfa, mfaLogin, reauth, devices, activity, account,
  };
}

export type Services = ReturnType<typeof createServices>;
