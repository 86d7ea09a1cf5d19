import type { Knex } from 'knex';
import { articleRow, auditRow, SEED_USERNAME_PREFIX, sessionRow, userRow } from './seed-rows';
import { Db, engineOf } from './knex';

/**
 * `npm run seed`: bulk data for benchmarks and manual checks. Seeded accounts are the ones whose
 * username starts with `seed_`; seeded sessions, events and articles are those of seeded
 * accounts. Each count is a target: a run adds only what is missing, so running it twice with
 * the same numbers changes nothing, and `reset` first deletes everything seeded (nothing else).
 */
/** Every seeded account signs in with this password (one bcrypt hash, computed once per run). */
export const SEED_PASSWORD = 'gatehouse-seed-password';

export interface SeedCounts {
  users: number;
  sessions: number;
  audit: number;
  articles: number;
}

export interface SeedOptions {
  counts: SeedCounts;
  reset?: boolean;
  /** The one bcrypt hash every new seeded account gets, asked for only when accounts are added. */
  passwordHash: () => Promise<string>;
  now?: Date;
  progress?: (line: string) => void;
}

export type SeedKind = keyof SeedCounts;
export type SeedReport = Record<SeedKind, { before: number; added: number; ms: number }>;

/**
 * Rows per INSERT: knex writes SQLite's as one compound SELECT, which may hold 500 terms, and
 * under SQLite's 32,766 bound parameters; far under MySQL's packet limit.
 */
const BATCH: Record<SeedKind, number> = { users: 500, sessions: 500, audit: 500, articles: 200 };
const BATCHES_PER_TRANSACTION = 20;
const DAY_MS = 86_400_000;

const seededUserIds = (db: Db) => db('users').select('id').whereRaw("?? like ? escape '!'", ['users.username', `${SEED_USERNAME_PREFIX.replace('_', '!_')}%`]);

const TABLES: Record<SeedKind, { table: string; owner: string }> = {
  users: { table: 'users', owner: 'id' },
  sessions: { table: 'refresh_sessions', owner: 'user_id' },
  audit: { table: 'audit_events', owner: 'user_id' },
  articles: { table: 'articles', owner: 'author_id' },
};

async function countSeeded(db: Db, kind: SeedKind): Promise<number> {
  const { table, owner } = TABLES[kind];
  const row = await db(table).whereIn(owner, seededUserIds(db)).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/**
 * Inserts rows `from`..`to - 1` in batches; on SQLite several batches share a transaction (one
 * commit, one fsync, instead of one per batch). MySQL commits each batch on its own.
 */
async function insertRows(db: Db, table: string, batch: number, from: number, to: number, row: (n: number) => object): Promise<void> {
  const perTransaction = engineOf(db) === 'sqlite' ? batch * BATCHES_PER_TRANSACTION : batch;
  for (let start = from; start < to; start += perTransaction) {
    const end = Math.min(to, start + perTransaction);
    await db.transaction(async (trx: Knex.Transaction) => {
      for (let first = start; first < end; first += batch) {
        const rows = [];
        for (let n = first; n < Math.min(end, first + batch); n += 1) rows.push(row(n));
        await trx(table).insert(rows).catch((error: Error) => {
          // Knex puts the whole statement in its message: keep the driver's reason only.
          throw new Error(`inserting into ${table} failed: ${error.message.split(' - ').pop()}`);
        });
      }
    });
  }
}

/** Deletes everything seeded, a batch at a time: events first (they outlive users), then accounts (their sessions and articles go with them). */
export async function resetSeed(db: Db): Promise<void> {
  for (const table of ['audit_events', 'users']) {
    const owner = table === 'users' ? 'id' : 'user_id';
    let lastId = 0;
    for (;;) {
      const ids = (await db(table).whereIn(owner, seededUserIds(db)).where('id', '>', lastId).orderBy('id').limit(5000).select('id')).map((row) => Number(row.id));
      if (ids.length === 0) break;
      await db(table).whereIn('id', ids).delete();
      lastId = ids[ids.length - 1]!;
    }
  }
}

async function ownerIds(db: Db, authorsOnly: boolean): Promise<number[]> {
  const query = seededUserIds(db).orderBy('id');
  const ids = (await (authorsOnly ? query.clone().where('is_author', true) : query)).map((row: { id: unknown }) => Number(row.id));
  return authorsOnly && ids.length === 0 ? (await query).slice(0, 10).map((row: { id: unknown }) => Number(row.id)) : ids;
}

export async function seed(db: Db, options: SeedOptions): Promise<SeedReport> {
  const { counts, now = new Date(), progress = () => undefined } = options;
  if (options.reset) await resetSeed(db);
  const report = {} as SeedReport;
  const span = (days: number, n: number, of: number) => new Date(now.getTime() - days * DAY_MS + (n / Math.max(of, 1)) * (days * DAY_MS - 60_000));

  async function fill(kind: SeedKind, add: (before: number, target: number) => Promise<void>): Promise<void> {
    const started = Date.now();
    const before = await countSeeded(db, kind);
    const added = Math.max(0, counts[kind] - before);
    if (added > 0) await add(before, counts[kind]);
    report[kind] = { before, added, ms: Date.now() - started };
    const rate = added > 0 ? `, ${Math.round(added / Math.max((Date.now() - started) / 1000, 0.001)).toLocaleString('en')} rows/s` : '';
    progress(`${kind}: ${(before + added).toLocaleString('en')} (${added.toLocaleString('en')} added in ${((Date.now() - started) / 1000).toFixed(1)} s${rate})`);
  }

  await fill('users', async (before, target) => {
    const hash = await options.passwordHash();
    // Numbered after the highest seeded account, so a gap left by a deleted one is never reused.
    const top = await seededUserIds(db).clearSelect().max({ name: 'username' }).first();
    const next = top?.name ? Number(String(top.name).slice(SEED_USERNAME_PREFIX.length)) + 1 : 1;
    await insertRows(db, 'users', BATCH.users, next, next + target - before, (n) => userRow(n, hash, span(730, n, next + target - before)));
  });
  const needsOwners = counts.sessions + counts.audit + counts.articles > 0;
  const userIds = needsOwners ? await ownerIds(db, false) : [];
  if (needsOwners && userIds.length === 0) throw new Error('sessions, audit events and articles belong to seeded accounts: seed some with --users first');
  await fill('sessions', (before, target) => insertRows(db, 'refresh_sessions', BATCH.sessions, before, target, (n) => sessionRow(n, userIds, now)));
  await fill('audit', (before, target) => insertRows(db, 'audit_events', BATCH.audit, before, target, (n) => auditRow(n, userIds, span(365, n, target))));
  const authorIds = counts.articles > 0 ? await ownerIds(db, true) : [];
  await fill('articles', (before, target) => insertRows(db, 'articles', BATCH.articles, before, target, (n) => articleRow(n, authorIds, span(365, n, target))));
  return report;
}
