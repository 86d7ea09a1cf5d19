import { Db, toDate, toDateOrNull } from '../db/knex';
import { deleteInBatches } from '../db/prune';

export interface RefreshSessionRow {
  id: number;
  jti_hash: string;
  family_id: string;
  user_id: number;
  family_created_at: Date;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  replaced_by: string | null;
  revoked_at: Date | null;
  revoke_reason: string | null;
  user_agent: string | null;
  ip: string | null;
  /** RFC 8176 method names, comma-separated; null on rows from before second factors (a password sign-in). */
  amr: string | null;
  auth_time: Date | null;
  /** The sign-in's last "confirm it's you" (sudo mode). */
  reauthenticated_at: Date | null;
  /** "Remember me": false for a browser sign-in without it, which ends after SESSION_IDLE_TTL unused. */
  remembered: boolean;
}

export type NewRefreshSession = Pick<RefreshSessionRow,
  'jti_hash' | 'family_id' | 'user_id' | 'family_created_at' | 'created_at' | 'expires_at' | 'user_agent' | 'ip'
  | 'amr' | 'auth_time' | 'reauthenticated_at' | 'remembered'>;

/** One live sign-in, as the sessions page lists it. */
export interface ActiveFamily {
  family_id: string;
  started_at: Date;
  last_used_at: Date;
  user_agent: string | null;
  ip: string | null;
  remembered: boolean;
}

const TABLE = 'refresh_sessions';

function toRow(raw: Record<string, unknown>): RefreshSessionRow {
  return {
    id: Number(raw.id),
    jti_hash: String(raw.jti_hash),
    family_id: String(raw.family_id),
    user_id: Number(raw.user_id),
    family_created_at: toDate(raw.family_created_at),
    created_at: toDate(raw.created_at),
    expires_at: toDate(raw.expires_at),
    used_at: toDateOrNull(raw.used_at),
    replaced_by: (raw.replaced_by as string | null) ?? null,
    revoked_at: toDateOrNull(raw.revoked_at),
    revoke_reason: (raw.revoke_reason as string | null) ?? null,
    user_agent: (raw.user_agent as string | null) ?? null,
    ip: (raw.ip as string | null) ?? null,
    amr: (raw.amr as string | null) ?? null,
    auth_time: toDateOrNull(raw.auth_time),
    reauthenticated_at: toDateOrNull(raw.reauthenticated_at),
    remembered: raw.remembered === undefined ? true : Boolean(raw.remembered),
  };
}

export async function insertRefreshSession(db: Db, session: NewRefreshSession): Promise<void> {
  await db(TABLE).insert(session);
}

/** The account a refresh token is rotated for: what its new access token says about it. */
export interface RotationSubject {
  id: number;
  public_id: string;
  username: string;
  is_reader: boolean;
  is_author: boolean;
  is_admin: boolean;
  is_active: boolean;
  token_version: number;
}

const SUBJECT_COLUMNS = ['public_id', 'username', 'is_reader', 'is_author', 'is_admin', 'is_active', 'token_version'] as const;

/**
 * A token's row and its user in one statement: rotation is the most frequent write, and on
 * MySQL every statement of its transaction is a round trip.
 */
export async function findRefreshSessionWithSubject(db: Db, jtiHash: string): Promise<{ session: RefreshSessionRow; subject: RotationSubject } | undefined> {
  const raw = await db(TABLE)
    .join('users', 'users.id', `${TABLE}.user_id`)
    .where(`${TABLE}.jti_hash`, jtiHash)
    .first(`${TABLE}.*`, ...SUBJECT_COLUMNS.map((column) => `users.${column} as subject_${column}`));
  if (!raw) return undefined;
  return {
    session: toRow(raw),
    subject: {
      id: Number(raw.user_id),
      public_id: String(raw.subject_public_id),
      username: String(raw.subject_username),
      is_reader: Boolean(raw.subject_is_reader),
      is_author: Boolean(raw.subject_is_author),
      is_admin: Boolean(raw.subject_is_admin),
      is_active: Boolean(raw.subject_is_active),
      token_version: Number(raw.subject_token_version),
    },
  };
}

export async function findRefreshSessionByHash(db: Db, jtiHash: string): Promise<RefreshSessionRow | undefined> {
  const raw = await db(TABLE).where({ jti_hash: jtiHash }).first();
  return raw ? toRow(raw) : undefined;
}

/**
 * Marks a token used, only if nobody else has: the affected-row count tells the caller whether
 * it won the race, which keeps rotation atomic without holding locks across requests.
 */
export async function claimRefreshSession(db: Db, id: number, replacedBy: string, now: Date): Promise<boolean> {
  const changed = await db(TABLE)
    .where({ id })
    .whereNull('used_at')
    .whereNull('revoked_at')
    .update({ used_at: now, replaced_by: replacedBy });
  return changed === 1;
}

/** Revokes every token of one sign-in. Scoped to its owner, so nobody can end another's session by id. */
export async function revokeFamily(db: Db, familyId: string, reason: string, now: Date, userId: number): Promise<number> {
  return db(TABLE)
    .where({ family_id: familyId, user_id: userId })
    .whereNull('revoked_at')
    .update({ revoked_at: now, revoke_reason: reason });
}

/** Revokes every sign-in of a user, except optionally one family (the current device). */
export async function revokeUserFamilies(
  db: Db, userId: number, reason: string, now: Date, exceptFamilyId?: string,
): Promise<number> {
  const query = db(TABLE).where({ user_id: userId }).whereNull('revoked_at');
  if (exceptFamilyId) query.whereNot({ family_id: exceptFamilyId });
  return query.update({ revoked_at: now, revoke_reason: reason });
}

export async function listActiveFamilies(db: Db, userId: number, now: Date): Promise<ActiveFamily[]> {
  const rows = await db(TABLE)
    .where({ user_id: userId })
    .whereNull('revoked_at')
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .select('family_id', 'family_created_at', 'created_at', 'user_agent', 'ip', 'remembered');
  // Several live rows can share a family (tokens minted inside the reuse grace): newest wins.
  const families = new Map<string, ActiveFamily>();
  for (const raw of rows) {
    if (families.has(raw.family_id)) continue;
    families.set(raw.family_id, {
      family_id: raw.family_id,
      started_at: toDate(raw.family_created_at),
      last_used_at: toDate(raw.created_at),
      user_agent: raw.user_agent ?? null,
      ip: raw.ip ?? null,
      remembered: Boolean(raw.remembered),
    });
  }
  return [...families.values()];
}

/** "Confirm it's you": stamped on the family's live rows, and carried to the rows rotation adds. */
export async function markReauthenticated(db: Db, familyId: string, userId: number, now: Date): Promise<number> {
  return db(TABLE).where({ family_id: familyId, user_id: userId }).whereNull('revoked_at').update({ reauthenticated_at: now });
}

/**
 * When the user last proved who they are in this sign-in: its login or its latest confirmation.
 * Undefined when the family has no live row (signed out).
 */
export async function lastAuthenticationOf(db: Db, familyId: string, userId: number, now: Date): Promise<Date | undefined> {
  const rows = await db(TABLE)
    .where({ family_id: familyId, user_id: userId })
    .whereNull('revoked_at')
    .where('expires_at', '>', now)
    .select('family_created_at', 'auth_time', 'reauthenticated_at');
  const times = rows.flatMap((raw: Record<string, unknown>) =>
    [toDateOrNull(raw.reauthenticated_at), toDateOrNull(raw.auth_time) ?? toDate(raw.family_created_at)]);
  const latest = Math.max(...times.filter((time): time is Date => time !== null).map((time) => time.getTime()));
  return Number.isFinite(latest) ? new Date(latest) : undefined;
}

export async function familyBelongsToUser(db: Db, familyId: string, userId: number): Promise<boolean> {
  const row = await db(TABLE).where({ family_id: familyId, user_id: userId }).first('id');
  return Boolean(row);
}

/**
 * Deletes rows nobody can use any more, in bounded batches (db/prune.ts), through the expires_at
 * index. That covers revoked rows too: a row expires one refresh lifetime after it was written,
 * so one revoked longer ago than that has expired as well, and until then it is refused anyway.
 * (No index on revoked_at: every rotation would pay for one.)
 */
export async function pruneRefreshSessions(db: Db, now: Date): Promise<number> {
  return deleteInBatches(db, TABLE, () => db(TABLE).where('expires_at', '<', now));
}

/**
 * How many sign-ins (families) are live right now, across every user. With `cap`, at most that
 * many live rows are read: fewer means the answer is exact, `cap` means "at least" (a family
 * has one live row or more, so the families can only be fewer than the rows).
 */
export async function countActiveFamilies(db: Db, now: Date, cap?: number): Promise<number> {
  const live = () => db(TABLE).whereNull('revoked_at').where('expires_at', '>', now);
  if (cap === undefined) return Number((await live().countDistinct({ n: 'family_id' }).first())?.n ?? 0);
  const row = await db.from(live().select('family_id').limit(cap).as('capped')).first(db.raw('count(*) as n_rows'), db.raw('count(distinct family_id) as n'));
  return Number(row?.n_rows ?? 0) >= cap ? cap : Number(row?.n ?? 0);
}

/** Whether a live sign-in was made with "Remember me"; undefined once it has ended. */
export async function rememberedOf(db: Db, familyId: string, userId: number): Promise<boolean | undefined> {
  const row = await db(TABLE).where({ family_id: familyId, user_id: userId }).whereNull('revoked_at').first('remembered');
  return row ? Boolean(row.remembered) : undefined;
}

/** Every refresh row of a user, for the export and the deletion. */
export async function deleteUserSessions(db: Db, userId: number): Promise<number> {
  return db(TABLE).where({ user_id: userId }).delete();
}
