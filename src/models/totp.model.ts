import { Db, toDate, toDateOrNull } from '../db/knex';

export interface TotpRow {
  id: number;
  user_id: number;
  /** The base32 secret, sealed with DATA_ENCRYPTION_KEY (see lib/data-cipher.ts). */
  secret_sealed: string;
  confirmed_at: Date | null;
  last_used_step: number | null;
  created_at: Date;
  updated_at: Date;
}

const TABLE = 'mfa_totp';

function toRow(raw: Record<string, unknown>): TotpRow {
  return {
    id: Number(raw.id),
    user_id: Number(raw.user_id),
    secret_sealed: String(raw.secret_sealed),
    confirmed_at: toDateOrNull(raw.confirmed_at),
    last_used_step: raw.last_used_step === null || raw.last_used_step === undefined ? null : Number(raw.last_used_step),
    created_at: toDate(raw.created_at),
    updated_at: toDate(raw.updated_at),
  };
}

export async function findTotpOfUser(db: Db, userId: number): Promise<TotpRow | undefined> {
  const raw = await db(TABLE).where({ user_id: userId }).first();
  return raw ? toRow(raw) : undefined;
}

/** A new setup replaces an unconfirmed one; a confirmed app is never overwritten here. */
export async function replacePendingTotp(db: Db, userId: number, secretSealed: string, now: Date): Promise<void> {
  await db(TABLE).where({ user_id: userId }).whereNull('confirmed_at').delete();
  await db(TABLE).insert({ user_id: userId, secret_sealed: secretSealed, created_at: now, updated_at: now });
}

/**
 * Accepts a code's time step only if it is later than the last one accepted, in one conditional
 * UPDATE: of two requests presenting the same code at once, exactly one wins.
 */
export async function claimTotpStep(db: Db, id: number, step: number, now: Date, confirm: boolean): Promise<boolean> {
  const changes: Record<string, unknown> = { last_used_step: step, updated_at: now };
  if (confirm) changes.confirmed_at = now;
  const changed = await db(TABLE)
    .where({ id })
    .where((where) => where.whereNull('last_used_step').orWhere('last_used_step', '<', step))
    .where((where) => (confirm ? where.whereNull('confirmed_at') : where.whereNotNull('confirmed_at')))
    .update(changes);
  return changed === 1;
}

export async function deleteTotpOfUser(db: Db, userId: number): Promise<number> {
  return db(TABLE).where({ user_id: userId }).delete();
}
