import type { Config } from '../config/env';
import type { SigningKeys } from '../config/keys';
import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import { createAuditService } from './audit.service';
import { createAuthService } from './auth.service';
import { createPasswordService } from './password.service';
import { createSessionService } from './session.service';
import { createTokenService } from './token.service';
import { createUserService } from './user.service';

/** Wires every service once per app. Controllers receive this object, never the database. */
export function createServices(config: Config, db: Db, keys: SigningKeys, clock: Clock) {
  const audit = createAuditService(db, clock);
  const passwords = createPasswordService(config.passwords.bcryptCost);
  const tokens = createTokenService(config.jwt, keys, clock);
  const sessions = createSessionService({ db, tokens, audit, clock, jwt: config.jwt });
  const auth = createAuthService({ db, passwords, sessions, audit, clock });
  const users = createUserService({ db, passwords, sessions, audit, clock });
  return { audit, passwords, tokens, sessions, auth, users };
}

export type Services = ReturnType<typeof createServices>;
