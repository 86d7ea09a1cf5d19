import { Db } from '../db/knex';
import { deleteInBatches } from '../db/prune';

const TABLE = 'known_devices';

/** Whether this browser (by the digest of its device id) has signed in to the account before. */
export async function isKnownDevice(db: Db, userId: number, deviceDigest: string): Promise<boolean> {
  return Boolean(await db(TABLE).where({ user_id: userId, device_digest: deviceDigest }).first('id'));
}

export async function countKnownDevices(db: Db, userId: number): Promise<number> {
  const row = await db(TABLE).where({ user_id: userId }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** New-sign-in mails sent for the account since `since` (the per-account throttle). */
export async function countAlertsSince(db: Db, userId: number, since: Date): Promise<number> {
  const row = await db(TABLE).where({ user_id: userId }).where('alerted_at', '>=', since).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Records the browser; a second sign-in racing this one from the same browser changes nothing. */
export async function rememberDevice(db: Db, row: { user_id: number; device_digest: string; now: Date; alerted: boolean }): Promise<void> {
  await db(TABLE)
    .insert({ user_id: row.user_id, device_digest: row.device_digest, created_at: row.now, last_seen_at: row.now, alerted_at: row.alerted ? row.now : null })
    .onConflict(['user_id', 'device_digest']).ignore();
}

export async function touchDevice(db: Db, userId: number, deviceDigest: string, now: Date): Promise<void> {
  await db(TABLE).where({ user_id: userId, device_digest: deviceDigest }).update({ last_seen_at: now });
}

export async function deleteUserDevices(db: Db, userId: number): Promise<number> {
  return db(TABLE).where({ user_id: userId }).delete();
}

/** Browsers unseen for longer than their cookie lives are forgotten, a batch at a time. */
export async function pruneKnownDevices(db: Db, unseenSince: Date): Promise<number> {
  return deleteInBatches(db, TABLE, () => db(TABLE).where('last_seen_at', '<', unseenSince));
}
