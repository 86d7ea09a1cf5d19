import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import type { RequestMeta } from '../lib/request-meta';
import * as Users from '../models/user.model';
import type { AuditService } from './audit.service';
import type { BrowserSignIn, DeviceService } from './devices.service';
import type { AuthMethods, SessionService, TokenPair } from './session.service';

export interface SignedIn {
  user: Users.UserRow;
  tokens: TokenPair;
  /** A browser sign-in: the id its device cookie carries from now on. */
  deviceId?: string;
}

/**
 * Starts a session for a user who has fully authenticated (`amr` says how), in `trx` or a
 * transaction of its own. `browser`: a sign-in from the pages (the API passes none), whose
 * "Remember me" box sets the session's lifetime and whose device cookie may trigger the
 * new-sign-in mail.
 */
export type SignInUser = (user: Users.UserRow, meta: RequestMeta, amr?: AuthMethods, trx?: Db, browser?: BrowserSignIn) => Promise<SignedIn>;

/** The last step of every way in (password, password and second factor, passkey): one place, one audit row. */
export function createSignIn(deps: { db: Db; sessions: SessionService; audit: AuditService; clock: Clock; devices: DeviceService }): SignInUser {
  const { db, sessions, audit, clock, devices } = deps;

  async function signIn(user: Users.UserRow, meta: RequestMeta, amr: AuthMethods, trx: Db, browser?: BrowserSignIn): Promise<SignedIn> {
    const now = clock.now();
    await Users.updateUser(trx, user.id, { last_login_at: now }, now);
    const tokens = await sessions.start(user, meta, trx, amr, browser?.remembered ?? true);
    const details: Record<string, unknown> = { family: tokens.familyId };
    if (!(amr.length === 1 && amr[0] === 'pwd')) details.amr = amr;
    if (browser && !browser.remembered) details.remembered = false;
    await audit.record('logged_in', { userId: user.id, meta, details }, trx);
    const deviceId = browser ? await devices.signedIn(user, browser.deviceId, meta, trx, { familyId: tokens.familyId }) : undefined;
    return { user: { ...user, last_login_at: now }, tokens, deviceId };
  }

  return (user, meta, amr = ['pwd'], trx, browser) => (trx ? signIn(user, meta, amr, trx, browser) : db.transaction((own) => signIn(user, meta, amr, own, browser)));
}
