import type { Knex } from 'knex';
import { engineOf } from '../../src/db/knex';

/** A statement as Knex sent it. */
export interface CapturedQuery {
  sql: string;
  bindings: readonly unknown[];
}

/** The statements `action` sends through `db`, in order (transactions' BEGIN/COMMIT left out). */
export async function captureQueries(db: Knex, action: () => Promise<unknown>): Promise<CapturedQuery[]> {
  const captured: CapturedQuery[] = [];
  const listener = (query: { sql: string; bindings?: unknown[] }) => {
    if (/^\s*(select|update|delete|with)\b/i.test(query.sql)) captured.push({ sql: query.sql, bindings: query.bindings ?? [] });
  };
  db.on('query', listener);
  try {
    await action();
  } finally {
    db.removeListener('query', listener);
  }
  return captured;
}

/**
 * The plan of one statement, and the steps of it that read a whole table or a whole index.
 * SQLite (EXPLAIN QUERY PLAN): a `SCAN t` line, with or without an index, for any table or
 * alias of one that is not a derived table. MySQL/MariaDB (EXPLAIN): access type ALL (the
 * table) or index (a whole index) on a table rather than a derived one.
 */
export async function planOf(db: Knex, query: CapturedQuery): Promise<{ plan: string[]; fullScans: string[] }> {
  const bindings = query.bindings as Knex.RawBinding[];
  if (engineOf(db) === 'sqlite') {
    const rows = (await db.raw(`explain query plan ${query.sql}`, bindings)) as Array<{ detail: string }>;
    const plan = rows.map((row) => row.detail);
    return { plan, fullScans: plan.filter((line) => /^SCAN (?!capped\b)/.test(line)) };
  }
  const [rows] = (await db.raw(`explain ${query.sql}`, bindings)) as [Array<Record<string, unknown>>];
  const plan = rows.map((row) => `${row.table} type=${row.type} key=${row.key} rows=${row.rows} ${row.Extra ?? ''}`.trim());
  const fullScans = rows
    .filter((row) => (row.type === 'ALL' || row.type === 'index') && !String(row.table).startsWith('<'))
    .map((row) => `${row.table} type=${row.type}`);
  return { plan, fullScans };
}
