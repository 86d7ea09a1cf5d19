import crypto from 'node:crypto';
import type { Db } from '../../src/db/knex';
import { auditRow, userRow } from '../../src/db/seed-rows';

/**
 * What the bench writes into every database, the "empty" one included, so that each page it
 * measures is full on both and the two datasets differ only by what was seeded around it:
 * - 10,020 accounts shaped like seeded ones, so page 500 of the user list (20 a page) exists
 *   and a search by the start of a first name (q=grace.) matches a few hundred of them;
 * - 5,200 audit events of the bench user, half of them login_failed, so page 50 of its log and
 *   of the login_failed log exist;
 * - 49 live sessions of the sessions user (its target signs in the 50th).
 */
export const HISTORY = { accounts: 10_020, events: 5_200, sessions: 49 };
/** Numbered far past what npm run seed writes, so their addresses never collide. */
const FIRST_ACCOUNT = 9_000_000;
const BATCH = 400;
const DAY_MS = 86_400_000;

async function insertAll(db: Db, table: string, rows: object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await db(table).insert(rows.slice(i, i + BATCH));
}

export async function writeBenchHistory(db: Db, who: { userId: number; sessionsUserId: number; passwordHash: string; now: Date }): Promise<void> {
  const { userId, sessionsUserId, passwordHash, now } = who;
  const at = (i: number, of: number, days: number) => new Date(now.getTime() - days * DAY_MS + (i / of) * days * DAY_MS);
  await insertAll(db, 'users', Array.from({ length: HISTORY.accounts }, (_, i) => ({
    ...userRow(FIRST_ACCOUNT + i, passwordHash, at(i, HISTORY.accounts, 365)),
    username: `bench_acct_${String(i).padStart(5, '0')}`,
  })));
  await insertAll(db, 'audit_events', Array.from({ length: HISTORY.events }, (_, i) => {
    const row = auditRow(FIRST_ACCOUNT + i, [userId], at(i, HISTORY.events, 30));
    return i % 2 === 0 ? { ...row, event: 'login_failed', details: JSON.stringify({ reason: 'password' }) } : row;
  }));
  await insertAll(db, 'refresh_sessions', Array.from({ length: HISTORY.sessions }, (_, i) => {
    const startedAt = at(i, HISTORY.sessions, 6);
    return {
      jti_hash: crypto.randomBytes(32).toString('hex'), family_id: crypto.randomUUID(), user_id: sessionsUserId,
      family_created_at: startedAt, created_at: startedAt, expires_at: new Date(now.getTime() + 7 * DAY_MS),
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', ip: `192.0.2.${i + 1}`,
    };
  }));
}
