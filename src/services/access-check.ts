import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import { liveTokenEmailOfUser } from '../models/account-token.model';
import { toUserRow, UserRow } from '../models/user.model';
import type { AccessClaims } from './token.service';

/** What an access token is checked against on every request. */
export type AccessVerdict = 'ok' | 'stale' | 'revoked';

/** The signed-in account as this process last read it (at most a second ago). */
export interface AccountState {
  user: UserRow;
  /** The address an email change waits on, if any (shown on the profile page). */
  pendingEmail: string | null;
  /** The token's sign-in (refresh family) still has a live refresh row. */
  familyAlive: boolean;
  /** Second factors, as GET /api/me shows them. */
  mfa: { totp: boolean; passkeys: number; recoveryCodesLeft: number };
}

/** How long this process may trust an answer without asking the database. */
const STATE_TTL_MS = 1000;
/** Entries live a second; past this many (a flood of distinct sessions) the cache starts over. */
const STATE_MAX_ENTRIES = 10_000;

/**
 * Revocation on the next request: an access token is good only while its user is active, its
 * `ver` equals the user's token_version and its family (`sid`) still has a live refresh row.
 * One query answers all three and also reads the rest of the user's row (a pending email
 * change, the second factors), so the pages of the signed-in user need no query of their own.
 * The answer is cached per process for at most one second, and `forget(userId)` drops the
 * user's entries whenever any instance changes that user or their sessions (see
 * account-changes.ts), so the change is seen on the next request everywhere; a read that a
 * change overtook is answered but not kept. The cache's clock is the real one: it is a
 * performance detail, not domain time.
 */
export function createAccessCheck(db: Db, clock: Clock) {
  const cache = new Map<string, { state: AccountState | null; until: number }>();
  /** Counts forget() calls: a load that a change overtook (read before, done after) is not kept. */
  let forgets = 0;

  async function load(publicId: string, familyId: string): Promise<AccountState | null> {
    const now = clock.now();
    const raw = await db('users')
      .where('users.public_id', publicId)
      .first(
        'users.*',
        db.raw(
          'exists(select 1 from refresh_sessions s where s.user_id = users.id and s.family_id = ? and s.revoked_at is null and s.expires_at > ?) as family_alive',
          [familyId, now],
        ),
        liveTokenEmailOfUser(db, 'change_email', now).as('pending_email'),
        db.raw('exists(select 1 from mfa_totp t where t.user_id = users.id and t.confirmed_at is not null) as mfa_totp'),
        db.raw('(select count(*) from passkeys p where p.user_id = users.id) as mfa_passkeys'),
        db.raw('(select count(*) from mfa_recovery_codes r where r.user_id = users.id and r.used_at is null) as mfa_recovery_codes'),
      );
    if (!raw) return null;
    return {
      user: toUserRow(raw),
      pendingEmail: (raw.pending_email as string | null) ?? null,
      familyAlive: Boolean(Number(raw.family_alive)),
      mfa: { totp: Boolean(Number(raw.mfa_totp)), passkeys: Number(raw.mfa_passkeys), recoveryCodesLeft: Number(raw.mfa_recovery_codes) },
    };
  }

  async function stateOf(publicId: string, familyId: string): Promise<AccountState | null> {
    const key = `${publicId}|${familyId}`;
    const cached = cache.get(key);
    if (cached && cached.until > Date.now()) return cached.state;
    const before = forgets;
    const state = await load(publicId, familyId);
    if (before !== forgets) return state;
    if (cache.size >= STATE_MAX_ENTRIES) cache.clear();
    cache.set(key, { state, until: Date.now() + STATE_TTL_MS });
    return state;
  }

  /** The sign-in's account while it may still act: null once it is gone, disabled or signed out. */
  async function liveAccount(publicId: string, familyId: string): Promise<AccountState | null> {
    const state = await stateOf(publicId, familyId);
    return state && state.user.is_active && state.familyAlive ? state : null;
  }

  return {
    async check(claims: AccessClaims): Promise<AccessVerdict> {
      const state = await liveAccount(claims.sub, claims.sid);
      if (!state) return 'revoked';
      return state.user.token_version === claims.ver ? 'ok' : 'stale';
    },

    /** The account behind a sign-in, from the same cache. */
    account: liveAccount,

    /** Drops what is cached for one user (by row id), or for everyone (null). */
    forget(userId: number | null): void {
      forgets += 1;
      if (userId === null) {
        cache.clear();
        return;
      }
      for (const [key, entry] of cache) if (entry.state?.user.id === userId) cache.delete(key);
    },
  };
}
