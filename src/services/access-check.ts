import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import type { AccessClaims } from './token.service';

/** What an access token is checked against on every request. */
export type AccessVerdict = 'ok' | 'stale' | 'revoked';

interface AuthState {
  tokenVersion: number;
  isActive: boolean;
  familyAlive: boolean;
}

/** How long this process may trust a token_version / family answer without asking the database. */
const AUTH_STATE_TTL_MS = 1000;
const AUTH_STATE_MAX_ENTRIES = 50_000;

/**
 * Revocation on the next request: an access token is good only while its user is active, its
 * `ver` equals the user's token_version and its family (`sid`) still has a live refresh row.
 * One query answers all three; the answer is cached per process for at most one second, and
 * `forget()` drops the cache whenever this process revokes anything, so a single instance sees
 * its own revocations at once. The cache's clock is the real one: it is a performance detail,
 * not domain time.
 */
export function createAccessCheck(db: Db, clock: Clock) {
  const cache = new Map<string, { state: AuthState | null; until: number }>();

  async function load(publicId: string, familyId: string): Promise<AuthState | null> {
    const row = await db('users')
      .where('users.public_id', publicId)
      .first(
        'users.token_version',
        'users.is_active',
        db.raw(
          'exists(select 1 from refresh_sessions s where s.user_id = users.id and s.family_id = ? and s.revoked_at is null and s.expires_at > ?) as family_alive',
          [familyId, clock.now()],
        ),
      );
    if (!row) return null;
    return { tokenVersion: Number(row.token_version), isActive: Boolean(row.is_active), familyAlive: Boolean(Number(row.family_alive)) };
  }

  return {
    async check(claims: AccessClaims): Promise<AccessVerdict> {
      const key = `${claims.sub}|${claims.sid}`;
      const cached = cache.get(key);
      let state: AuthState | null;
      if (cached && cached.until > Date.now()) {
        state = cached.state;
      } else {
        state = await load(claims.sub, claims.sid);
        if (cache.size >= AUTH_STATE_MAX_ENTRIES) cache.clear();
        cache.set(key, { state, until: Date.now() + AUTH_STATE_TTL_MS });
      }
      if (!state || !state.isActive || !state.familyAlive) return 'revoked';
      return state.tokenVersion === claims.ver ? 'ok' : 'stale';
    },

    forget(): void {
      cache.clear();
    },
  };
}
