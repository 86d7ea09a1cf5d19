/**
 * Lists are read a page at a time with keyset (cursor) pagination, newest first by id: a page
 * reached by its Previous/Next link starts after (or before) the last row seen, so it costs the
 * same on page 5 as on page 5,000, and rows added meanwhile never shift a row onto a second page
 * or off all pages. A page number alone (typed, bookmarked, a numbered link) still works: its
 * first row is found by skipping over index entries only (see db/keyset.ts).
 */

/** Where a page starts, as the list's links and the API carry it; cursors are opaque strings. */
export interface PageRequest {
  /** 1-based, already validated; it labels the page and, without a cursor, locates it. */
  page: number;
  /** The page holds the rows just older than this one (the Next link). */
  after?: string;
  /** The page holds the rows just newer than this one (the Previous link). */
  before?: string;
}

/** A link to a neighbouring page. */
export type PageLink = PageRequest;

/** One page of a list, as the list pages and the API show it. */
export interface Paged<T> {
  items: T[];
  page: number;
  perPage: number;
  /** Exact while small; past COUNT_EXACT_UP_TO it may be up to a few seconds old (lib/count-cache.ts). */
  total: number;
  totalPages: number;
  next?: PageLink;
  prev?: PageLink;
}

/** How a page was read (db/keyset.ts): its rows, newest first, and whether rows lie beyond it. */
export interface KeysetResult<R> {
  rows: R[];
  /** Rows older than this page exist. */
  older: boolean;
  /** Rows newer than this page exist. */
  newer: boolean;
}

/**
 * Builds the page, its neighbours' links and its label. `cursorOf` turns a row into the cursor
 * its neighbours start from (an id, or a user's public id: never an internal id of a user).
 */
export function keysetPaged<R, T>(
  result: KeysetResult<R>, request: PageRequest, perPage: number, total: number, present: (row: R) => T, cursorOf: (row: R) => string,
): Paged<T> {
  const { rows, older, newer } = result;
  // Walking back up to the newest rows makes this page 1, whatever the link said.
  const page = newer ? Math.max(request.page, 2) : 1;
  const first = rows[0];
  const last = rows[rows.length - 1];
  const next = older && last ? { page: page + 1, after: cursorOf(last) } : undefined;
  // The page before page 2 is the list's start, read fresh rather than from a cursor.
  const prev = newer && first ? (page === 2 ? { page: 1 } : { page: page - 1, before: cursorOf(first) }) : undefined;
  // What the rows show beats a count that may be a few seconds old.
  const totalPages = older ? Math.max(Math.ceil(total / perPage), page + 1) : page;
  return { items: rows.map(present), page, perPage, total, totalPages, next, prev };
}

/** A page past the end of the list (or of a filter that matches nothing). */
export function emptyPage<T>(request: PageRequest, perPage: number, total: number): Paged<T> {
  return { items: [], page: request.page, perPage, total, totalPages: Math.max(1, Math.ceil(total / perPage)) };
}

/** The query parameters of a page link (page 1 has none). */
export function pageLinkParams(link: PageLink): Record<string, string> {
  const params: Record<string, string> = {};
  if (link.page > 1) params.page = String(link.page);
  if (link.after !== undefined) params.after = link.after;
  if (link.before !== undefined) params.before = link.before;
  return params;
}

/** The API's shape of a page: snake_case, the list under its own name, the neighbours as query parameters. */
export function pagedJson<T>(name: string, list: Paged<T>) {
  return {
    [name]: list.items,
    page: list.page,
    per_page: list.perPage,
    total: list.total,
    total_pages: list.totalPages,
    next: list.next ? pageLinkParams(list.next) : null,
    prev: list.prev ? pageLinkParams(list.prev) : null,
  };
}
