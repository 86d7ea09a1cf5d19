import { Db, toDate } from '../db/knex';

export interface PendingLoginRow {
  id: number;
  user_id: number;
  token_version: number;
  throttle_key: string | null;
  attempts: number;
  expires_at: Date;
  remembered: boolean;
}

const TABLE = 'pending_logins';

function toRow(raw: Record<string, unknown>): PendingLoginRow {
  return {
    id: Number(raw.id),
    user_id: Number(raw.user_id),
    token_version: Number(raw.token_version),
    throttle_key: (raw.throttle_key as string | null) ?? null,
    attempts: Number(raw.attempts),
    expires_at: toDate(raw.expires_at),
    remembered: raw.remembered === undefined ? true : Boolean(raw.remembered),
  };
}

export async function insertPendingLogin(
  db: Db, row: { token_digest: string; user_id: number; token_version: number; throttle_key: string | null; remembered: boolean; created_at: Date; expires_at: Date },
): Promise<void> {
  await db(TABLE).insert(row);
}

/** A pending step that can still be finished: not used, not expired, not out of attempts. */
export async function findLivePendingLogin(db: Db, tokenDigest: string, now: Date, maxAttempts: number): Promise<PendingLoginRow | undefined> {
  const raw = await db(TABLE)
    .where({ token_digest: tokenDigest })
    .whereNull('used_at')
    .where('expires_at', '>', now)
    .where('attempts', '<', maxAttempts)
    .first();
  return raw ? toRow(raw) : undefined;
}

/** One failed attempt. Conditional, so parallel guesses cannot exceed the allowance. */
export async function countFailedAttempt(db: Db, id: number, maxAttempts: number): Promise<boolean> {
  const changed = await db(TABLE).where({ id }).where('attempts', '<', maxAttempts).update({ attempts: db.raw('attempts + 1') });
  return changed === 1;
}

/** Ends the step, once: the conditional UPDATE lets only one request finish a login. */
export async function finishPendingLogin(db: Db, id: number, now: Date): Promise<boolean> {
  const changed = await db(TABLE).where({ id }).whereNull('used_at').update({ used_at: now });
  return changed === 1;
}

export async function prunePendingLogins(db: Db, now: Date): Promise<number> {
  return db(TABLE).where('expires_at', '<', now).delete();
}
