import { Db, toDate } from '../db/knex';

export type ChallengePurpose = 'register' | 'sign_in' | 'second_step' | 'confirm';

export interface ChallengeRow {
  id: number;
  challenge: string;
  purpose: ChallengePurpose;
  user_id: number | null;
  expires_at: Date;
}

const TABLE = 'webauthn_challenges';

export async function insertChallenge(
  db: Db, row: { binding_digest: string; challenge: string; purpose: ChallengePurpose; user_id: number | null; created_at: Date; expires_at: Date },
): Promise<void> {
  await db(TABLE).insert(row);
}

/**
 * Takes the browser's challenge for this ceremony, once: the row is marked used by a
 * conditional UPDATE before anything is verified, so a challenge can never be answered twice,
 * even by two requests at the same moment.
 */
export async function claimChallenge(db: Db, bindingDigest: string, purpose: ChallengePurpose, now: Date): Promise<ChallengeRow | undefined> {
  const raw = await db(TABLE).where({ binding_digest: bindingDigest, purpose }).whereNull('used_at').where('expires_at', '>', now).first();
  if (!raw) return undefined;
  const changed = await db(TABLE).where({ id: raw.id }).whereNull('used_at').update({ used_at: now });
  if (changed !== 1) return undefined;
  return {
    id: Number(raw.id),
    challenge: String(raw.challenge),
    purpose: raw.purpose as ChallengePurpose,
    user_id: raw.user_id === null ? null : Number(raw.user_id),
    expires_at: toDate(raw.expires_at),
  };
}

export async function pruneChallenges(db: Db, now: Date): Promise<number> {
  return db(TABLE).where('expires_at', '<', now).delete();
}
