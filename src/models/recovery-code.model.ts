import type { Db } from '../db/knex';

const TABLE = 'mfa_recovery_codes';

/** The user's set of codes, replacing any earlier set (which stops working at once). */
export async function replaceRecoveryCodes(db: Db, userId: number, digests: string[], now: Date): Promise<void> {
  await db(TABLE).where({ user_id: userId }).delete();
  await db(TABLE).insert(digests.map((code_digest) => ({ user_id: userId, code_digest, created_at: now })));
}

/** Uses one code, once: a conditional UPDATE, so two requests with the same code cannot both pass. */
export async function useRecoveryCode(db: Db, userId: number, digest: string, now: Date): Promise<boolean> {
  const changed = await db(TABLE).where({ user_id: userId, code_digest: digest }).whereNull('used_at').update({ used_at: now });
  return changed === 1;
}

export async function countUnusedRecoveryCodes(db: Db, userId: number): Promise<number> {
  const row = await db(TABLE).where({ user_id: userId }).whereNull('used_at').count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function deleteRecoveryCodes(db: Db, userId: number): Promise<number> {
  return db(TABLE).where({ user_id: userId }).delete();
}
