import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import type { RequestMeta } from '../lib/request-meta';
import * as Users from '../models/user.model';
import type { AuditService } from './audit.service';
import type { AuthMethods, SessionService, TokenPair } from './session.service';

export interface SignedIn {
  user: Users.UserRow;
  tokens: TokenPair;
}

/** Starts a session for a user who has fully authenticated (`amr` says how), in `trx` or a transaction of its own. */
export type SignInUser = (user: Users.UserRow, meta: RequestMeta, amr?: AuthMethods, trx?: Db) => Promise<SignedIn>;

/** The last step of every way in (password, password and second factor, passkey): one place, one audit row. */
export function createSignIn(deps: { db: Db; sessions: SessionService; audit: AuditService; clock: Clock }): SignInUser {
  const { db, sessions, audit, clock } = deps;

  async function signIn(user: Users.UserRow, meta: RequestMeta, amr: AuthMethods, trx: Db): Promise<SignedIn> {
    const now = clock.now();
    await Users.updateUser(trx, user.id, { last_login_at: now }, now);
    const tokens = await sessions.start(user, meta, trx, amr);
    await audit.record('logged_in', { userId: user.id, meta, details: amr.length === 1 && amr[0] === 'pwd' ? undefined : { amr } }, trx);
    return { user: { ...user, last_login_at: now }, tokens };
  }

  return (user, meta, amr = ['pwd'], trx) => (trx ? signIn(user, meta, amr, trx) : db.transaction((own) => signIn(user, meta, amr, own)));
}
