import { Db, toDate, toDateOrNull } from '../db/knex';
import { deleteInBatches } from '../db/prune';

export const TOKEN_PURPOSES = ['verify_email', 'reset_password', 'change_email'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

/** An emailed link. token_hash is the SHA-256 of the random token; the token itself is never stored. */
export interface AccountTokenRow {
  id: number;
  token_hash: string;
  purpose: TokenPurpose;
  user_id: number;
  email: string;
  password_fingerprint: string | null;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

export type NewAccountToken = Omit<AccountTokenRow, 'id' | 'used_at' | 'revoked_at'>;

const TABLE = 'account_tokens';

function toRow(raw: Record<string, unknown>): AccountTokenRow {
  return {
    id: Number(raw.id),
    token_hash: String(raw.token_hash),
    purpose: String(raw.purpose) as TokenPurpose,
    user_id: Number(raw.user_id),
    email: String(raw.email),
    password_fingerprint: (raw.password_fingerprint as string | null) ?? null,
    created_at: toDate(raw.created_at),
    expires_at: toDate(raw.expires_at),
    used_at: toDateOrNull(raw.used_at),
    revoked_at: toDateOrNull(raw.revoked_at),
  };
}

export async function insertAccountToken(db: Db, token: NewAccountToken): Promise<void> {
  await db(TABLE).insert(token);
}

export async function findAccountTokenByHash(db: Db, tokenHash: string): Promise<AccountTokenRow | undefined> {
  const raw = await db(TABLE).where({ token_hash: tokenHash }).first();
  return raw ? toRow(raw) : undefined;
}

/**
 * Marks a link used, only if it is still live: the affected-row count tells the caller whether
 * it won, so two clicks on one link can never both succeed.
 */
export async function claimAccountToken(db: Db, id: number, now: Date): Promise<boolean> {
  const changed = await db(TABLE)
    .where({ id })
    .whereNull('used_at')
    .whereNull('revoked_at')
    .where('expires_at', '>', now)
    .update({ used_at: now });
  return changed === 1;
}

/**
 * Revokes a user's live links of the given purposes (all but `exceptId`). The rows are found
 * first and updated by primary key: on InnoDB an UPDATE that matches nothing still locks the gap
 * in the (user_id, purpose) index, and two registrations doing so at once deadlock on their inserts.
 */
export async function revokeAccountTokens(
  db: Db, userId: number, purposes: readonly TokenPurpose[], now: Date, exceptId?: number,
): Promise<number> {
  const query = db(TABLE).where({ user_id: userId }).whereIn('purpose', purposes).whereNull('used_at').whereNull('revoked_at');
  if (exceptId !== undefined) query.whereNot({ id: exceptId });
  const ids = (await query.select('id')).map((row: { id: unknown }) => Number(row.id));
  if (ids.length === 0) return 0;
  return db(TABLE).whereIn('id', ids).whereNull('used_at').whereNull('revoked_at').update({ revoked_at: now });
}

/** When the links of one purpose were issued to a user since `since`, newest first (for throttling). */
export async function listIssueTimes(db: Db, userId: number, purpose: TokenPurpose, since: Date): Promise<Date[]> {
  const rows = await db(TABLE)
    .where({ user_id: userId, purpose })
    .where('created_at', '>', since)
    .orderBy('created_at', 'desc')
    .select('created_at');
  return rows.map((row: { created_at: unknown }) => toDate(row.created_at));
}

/** A purpose's live links (neither used, revoked nor expired), newest first. */
function liveTokens(db: Db, purpose: TokenPurpose, now: Date) {
  return db(TABLE)
    .where(`${TABLE}.purpose`, purpose)
    .whereNull(`${TABLE}.used_at`)
    .whereNull(`${TABLE}.revoked_at`)
    .where(`${TABLE}.expires_at`, '>', now)
    .orderBy(`${TABLE}.created_at`, 'desc')
    .orderBy(`${TABLE}.id`, 'desc');
}

/** The newest live link of a purpose, e.g. the email change the user is waiting to confirm. */
export async function findLiveToken(db: Db, userId: number, purpose: TokenPurpose, now: Date): Promise<AccountTokenRow | undefined> {
  const raw = await liveTokens(db, purpose, now).where(`${TABLE}.user_id`, userId).first();
  return raw ? toRow(raw) : undefined;
}

/**
 * The same link's address as a subquery of a query on `users` (one value per user row), so
 * the per-request account read needs no second query: `db('users').first('users.*', q.as('x'))`.
 */
export function liveTokenEmailOfUser(db: Db, purpose: TokenPurpose, now: Date) {
  return liveTokens(db, purpose, now).where(`${TABLE}.user_id`, db.ref('users.id')).select(`${TABLE}.email`).limit(1);
}

/** Deletes links nobody can use any more, in bounded batches (db/prune.ts). */
export async function pruneAccountTokens(db: Db, now: Date): Promise<number> {
  return deleteInBatches(db, TABLE, () => db(TABLE).where('expires_at', '<', now));
}
