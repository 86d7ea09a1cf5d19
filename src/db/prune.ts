import type { Knex } from 'knex';
import type { Db } from './knex';

/** Rows deleted per statement: each DELETE holds its locks (MySQL) or the event loop (SQLite) only briefly. */
export const PRUNE_BATCH = 500;

/**
 * Deletes the rows a filter finds, a batch at a time: the ids of at most `batch` of them are read
 * through the filter's index, then deleted by primary key in a statement of their own, and the
 * event loop gets a turn before the next batch. A backlog of a million expired rows is many short
 * statements, never one that locks the table or stalls every request behind it.
 */
export async function deleteInBatches(db: Db, table: string, filtered: () => Knex.QueryBuilder, batch = PRUNE_BATCH): Promise<number> {
  let deleted = 0;
  for (;;) {
    const ids = (await filtered().select(`${table}.id`).limit(batch)).map((row: { id: unknown }) => Number(row.id));
    if (ids.length > 0) deleted += await db(table).whereIn('id', ids).delete();
    if (ids.length < batch) return deleted;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
