import crypto from 'node:crypto';
import { Db, toDate, toDateOrNull } from '../db/knex';

export interface PasskeyRow {
  id: number;
  user_id: number;
  /** base64url, as WebAuthn names it. */
  credential_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  counter: number;
  transports: string[];
  name: string;
  device_type: string;
  backed_up: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

export type NewPasskey = Omit<PasskeyRow, 'id' | 'last_used_at'>;

const TABLE = 'passkeys';

/** Credential ids are case-sensitive and long: rows are found by this digest, the same on both engines. */
export function credentialDigest(credentialId: string): string {
  return crypto.createHash('sha256').update(credentialId, 'utf8').digest('hex');
}

function toRow(raw: Record<string, unknown>): PasskeyRow {
  return {
    id: Number(raw.id),
    user_id: Number(raw.user_id),
    credential_id: String(raw.credential_id),
    public_key: String(raw.public_key),
    counter: Number(raw.counter),
    transports: raw.transports ? String(raw.transports).split(',') : [],
    name: String(raw.name),
    device_type: String(raw.device_type),
    backed_up: Boolean(raw.backed_up),
    created_at: toDate(raw.created_at),
    last_used_at: toDateOrNull(raw.last_used_at),
  };
}

export async function insertPasskey(db: Db, passkey: NewPasskey): Promise<void> {
  await db(TABLE).insert({
    ...passkey,
    transports: passkey.transports.length > 0 ? passkey.transports.join(',') : null,
    credential_digest: credentialDigest(passkey.credential_id),
  });
}

export async function findPasskeyByCredentialId(db: Db, credentialId: string): Promise<PasskeyRow | undefined> {
  const raw = await db(TABLE).where({ credential_digest: credentialDigest(credentialId) }).first();
  return raw && raw.credential_id === credentialId ? toRow(raw) : undefined;
}

export async function listPasskeysOfUser(db: Db, userId: number): Promise<PasskeyRow[]> {
  const rows = await db(TABLE).where({ user_id: userId }).orderBy('id');
  return rows.map(toRow);
}

/**
 * Records a successful use. The counter moves only forward, checked again here: of two
 * assertions racing with the same counter, the second changes nothing and is refused.
 */
export async function recordPasskeyUse(db: Db, id: number, previousCounter: number, newCounter: number, now: Date): Promise<boolean> {
  const changed = await db(TABLE).where({ id, counter: previousCounter }).update({ counter: newCounter, last_used_at: now });
  return changed === 1;
}

export async function deletePasskey(db: Db, userId: number, id: number): Promise<PasskeyRow | undefined> {
  const raw = await db(TABLE).where({ id, user_id: userId }).first();
  if (!raw) return undefined;
  await db(TABLE).where({ id, user_id: userId }).delete();
  return toRow(raw);
}

export async function deletePasskeysOfUser(db: Db, userId: number): Promise<number> {
  return db(TABLE).where({ user_id: userId }).delete();
}
