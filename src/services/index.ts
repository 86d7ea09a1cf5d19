import type { Config } from '../config/env';
import type { SigningKeys } from '../config/keys';
import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import { createLogger } from '../lib/logger';
import { createMetrics, Metrics } from '../lib/metrics';
import { createAdminService } from './admin.service';
import { createArticleService } from './article.service';
import { createAuditService } from './audit.service';
import { createAuthService } from './auth.service';
import { createTaskQueue } from './mail-queue';
import { createMailService } from './mail.service';
import { createPasswordResetService } from './password-reset.service';
import { createPasswordService } from './password.service';
import { createSessionService } from './session.service';
import { createTokenService } from './token.service';
import { createUserService } from './user.service';
import { createVerificationService } from './verification.service';

/** Wires every service once per app. Controllers receive this object, never the database. */
export function createServices(config: Config, db: Db, keys: SigningKeys, clock: Clock, logger = createLogger(config), metrics: Metrics = createMetrics()) {
  const audit = createAuditService(db, clock);
  const passwords = createPasswordService(config.passwords.bcryptCost);
  const tokens = createTokenService(config.jwt, keys, clock);
  const sessions = createSessionService({ db, tokens, audit, clock, jwt: config.jwt, metrics });
  // Mail, and the account lookups of forgot-password, run after the response (see mail-queue.ts).
  const background = createTaskQueue(logger);
  const mail = createMailService({ config, queue: background, logger });
  const verification = createVerificationService({ db, mail, queue: background, audit, clock, accountChanged: sessions.forgetCachedState });
  const passwordReset = createPasswordResetService({ db, passwords, sessions, mail, queue: background, audit, clock });
  const auth = createAuthService({ db, passwords, sessions, audit, clock, verification, metrics, requireVerifiedEmail: config.accounts.requireVerifiedEmail });
  const users = createUserService({ db, passwords, sessions, audit, clock, verification });
  const articles = createArticleService({ db, clock });
  const admin = createAdminService({ db, sessions, audit, clock });
  return { audit, passwords, tokens, sessions, auth, users, articles, admin, background, mail, verification, passwordReset, metrics };
}

export type Services = ReturnType<typeof createServices>;
