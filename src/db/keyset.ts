import type { Knex } from 'knex';
import type { KeysetResult } from '../lib/pagination';

/**
 * Where a page of a newest-first list starts, in row ids (the services turn cursors into these):
 * the rows below an id (the Next link, and the first page), the rows above one (Previous), or a
 * page number alone, located by skipping `offset` rows.
 */
export type Seek = { below: number } | { above: number } | { offset: number };

/** Above every id either engine can hold: the first page is "the rows below the top". */
const TOP = Number.MAX_SAFE_INTEGER;
export const FIRST_PAGE: Seek = { below: TOP };

export interface PageQuery {
  /** A fresh query holding only the list's filter (no columns, no order): called for each read. */
  filtered: () => Knex.QueryBuilder;
  /** The id the list is ordered by, qualified (`audit_events.id`). */
  idColumn: string;
  /** Adds the joins and columns of a page's rows (fetched by id once the page's ids are known). */
  select: (query: Knex.QueryBuilder) => Knex.QueryBuilder;
  limit: number;
  seek: Seek;
}

/**
 * The ids of one page, newest first, read from the filter's index alone: at most `limit + 1`
 * entries below (or above) the bound, whatever the depth. Asked for whole rows in the same
 * statement, MariaDB answers `event = ? AND id < ?` by walking the event's rows down from the
 * newest and discarding those above the bound (100,060 rows read for page 2,000 here, against
 * 50 for the ids alone), so the rows are fetched by primary key in a second statement.
 */
async function idsOf(filtered: () => Knex.QueryBuilder, idColumn: string, bound: { op: '<' | '>'; id: number }, limit: number): Promise<number[]> {
  const rows = await filtered().where(idColumn, bound.op, bound.id).select(idColumn).orderBy(idColumn, bound.op === '<' ? 'desc' : 'asc').limit(limit);
  return rows.map((row: Record<string, unknown>) => Number(Object.values(row)[0]));
}

async function rowsOf(spec: PageQuery, ids: number[]): Promise<Array<Record<string, unknown>>> {
  if (ids.length === 0) return [];
  // By primary key alone: the filter chose the ids already, and a planner offered it again may prefer its indexes.
  return spec.select(spec.filtered().clearWhere().whereIn(spec.idColumn, ids)).orderBy(spec.idColumn, 'desc');
}

/**
 * One page, newest first. Every read is bounded by an id and the limit, so it walks at most
 * `limit + 1` entries of an index whatever the depth; one row more than the page tells whether
 * the list goes on. A page number without a cursor first finds its first row's id by skipping
 * entries of the same index, reading ids only (an index-only scan on both engines): it grows
 * with the page number, but over index entries, never over rows.
 */
export async function readPage(spec: PageQuery): Promise<KeysetResult<Record<string, unknown>>> {
  const { filtered, idColumn, limit, seek } = spec;
  if ('offset' in seek) {
    // Bounded like every other read (from the top), and reading ids only.
    const key = await filtered().where(idColumn, '<', TOP).select(idColumn).orderBy(idColumn, 'desc').limit(1).offset(seek.offset);
    const id = key[0] ? Number(Object.values(key[0])[0]) : undefined;
    if (id === undefined) return { rows: [], older: false, newer: seek.offset > 0 };
    const page = await readPage({ ...spec, seek: { below: id + 1 } });
    return { ...page, newer: seek.offset > 0 };
  }
  if ('above' in seek) {
    // Read upwards from the cursor, shown newest first; the page it was reached from lies below.
    const ids = await idsOf(filtered, idColumn, { op: '>', id: seek.above }, limit + 1);
    return { rows: await rowsOf(spec, ids.slice(0, limit)), older: true, newer: ids.length > limit };
  }
  const ids = await idsOf(filtered, idColumn, { op: '<', id: seek.below }, limit + 1);
  return { rows: await rowsOf(spec, ids.slice(0, limit)), older: ids.length > limit, newer: seek.below !== TOP };
}

/**
 * At most `cap` matching rows counted: the work is bounded however large the table. A count
 * that reaches the cap is "at least cap" (lib/count-cache.ts then asks for the full count, rarely).
 */
export async function countUpTo(db: Knex, filtered: () => Knex.QueryBuilder, cap?: number): Promise<number> {
  const query = cap === undefined
    ? filtered().count({ n: '*' })
    : db.count({ n: '*' }).from(filtered().select(db.raw('1')).limit(cap).as('capped'));
  const row = await query.first();
  return Number(row?.n ?? 0);
}

/**
 * The seek of a page request. A cursor is turned into a row id by `idOf` (for users it names a
 * public id); one that names no row any more (a deleted user) falls back to the page number.
 */
export async function seekFor(
  request: { page: number; after?: string; before?: string }, perPage: number, idOf: (cursor: string) => Promise<number | undefined> | number,
): Promise<Seek> {
  const cursor = request.after ?? request.before;
  const id = cursor === undefined ? undefined : await idOf(cursor);
  if (id !== undefined) return request.after !== undefined ? { below: id } : { above: id };
  return request.page > 1 ? { offset: (request.page - 1) * perPage } : FIRST_PAGE;
}
