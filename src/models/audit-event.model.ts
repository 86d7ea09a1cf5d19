import { Db, toDate } from '../db/knex';
import { countUpTo, FIRST_PAGE, readPage, Seek } from '../db/keyset';
import { deleteInBatches } from '../db/prune';
import type { KeysetResult } from '../lib/pagination';

export interface AuditEventRow {
  id: number;
  event: string;
  user_id: number | null;
  actor_id: number | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown> | null;
  created_at: Date;
  /** Once the account (or the acting admin's) is deleted: the random id that stands for it. */
  subject_pseudonym: string | null;
  actor_pseudonym: string | null;
}

export type NewAuditEvent = Omit<AuditEventRow, 'id' | 'subject_pseudonym' | 'actor_pseudonym'> & Partial<Pick<AuditEventRow, 'subject_pseudonym'>>;

const TABLE = 'audit_events';

export function toAuditEventRow(raw: Record<string, unknown>): AuditEventRow {
  return {
    id: Number(raw.id),
    event: String(raw.event),
    user_id: raw.user_id === null || raw.user_id === undefined ? null : Number(raw.user_id),
    actor_id: raw.actor_id === null || raw.actor_id === undefined ? null : Number(raw.actor_id),
    ip: (raw.ip as string | null) ?? null,
    user_agent: (raw.user_agent as string | null) ?? null,
    details: typeof raw.details === 'string' ? JSON.parse(raw.details) : null,
    created_at: toDate(raw.created_at),
    subject_pseudonym: (raw.subject_pseudonym as string | null) ?? null,
    actor_pseudonym: (raw.actor_pseudonym as string | null) ?? null,
  };
}

export async function insertAuditEvent(db: Db, event: NewAuditEvent): Promise<void> {
  await db(TABLE).insert({ ...event, details: event.details ? JSON.stringify(event.details) : null });
}

export async function listAuditEventsForUser(db: Db, userId: number, limit: number): Promise<AuditEventRow[]> {
  const rows = await db(TABLE).where({ user_id: userId }).orderBy('id', 'desc').limit(limit);
  return rows.map(toAuditEventRow);
}

/** What the admin's audit page (and a user's own activity) filters on; every part is optional. */
export interface AuditFilter {
  userId?: number;
  event?: string;
  /** Any of these events (a kind of the activity page). */
  events?: readonly string[];
  since?: Date;
}

/** An event with the public id and name of the user it is about and of the admin who acted. */
export interface NamedAuditEventRow extends AuditEventRow {
  user_public_id: string | null;
  username: string | null;
  actor_public_id: string | null;
  actor_username: string | null;
}

function filtered(db: Db, filter: AuditFilter) {
  const query = db(TABLE);
  if (filter.userId !== undefined) query.where(`${TABLE}.user_id`, filter.userId);
  if (filter.event !== undefined) query.where(`${TABLE}.event`, filter.event);
  if (filter.events !== undefined) query.whereIn(`${TABLE}.event`, [...filter.events]);
  if (filter.since !== undefined) query.where(`${TABLE}.created_at`, '>=', filter.since);
  return query;
}

function withNames(query: ReturnType<Db>) {
  return query
    .leftJoin('users as subject', 'subject.id', `${TABLE}.user_id`)
    .leftJoin('users as actor', 'actor.id', `${TABLE}.actor_id`)
    .select(`${TABLE}.*`, 'subject.public_id as user_public_id', 'subject.username as username',
      'actor.public_id as actor_public_id', 'actor.username as actor_username');
}

function toNamedRow(raw: Record<string, unknown>): NamedAuditEventRow {
  return {
    ...toAuditEventRow(raw),
    user_public_id: (raw.user_public_id as string | null) ?? null,
    username: (raw.username as string | null) ?? null,
    actor_public_id: (raw.actor_public_id as string | null) ?? null,
    actor_username: (raw.actor_username as string | null) ?? null,
  };
}

/** Newest first, a page at a time (db/keyset.ts): by user through (user_id, id), by event through (event, id). */
export async function listAuditEvents(db: Db, filter: AuditFilter, limit: number, seek: Seek = FIRST_PAGE): Promise<KeysetResult<NamedAuditEventRow>> {
  const page = await readPage({ filtered: () => filtered(db, filter), idColumn: `${TABLE}.id`, select: withNames, limit, seek });
  return { ...page, rows: page.rows.map(toNamedRow) };
}

export function countAuditEvents(db: Db, filter: AuditFilter, cap?: number): Promise<number> {
  return countUpTo(db, () => filtered(db, filter), cap);
}

/** Every event about a user, newest first, for the export (bounded: an export is one response). */
export async function listAllAuditEventsForUser(db: Db, userId: number, cap: number): Promise<AuditEventRow[]> {
  const rows = await db(TABLE).where({ user_id: userId }).orderBy('id', 'desc').limit(cap);
  return rows.map(toAuditEventRow);
}

/** Events whose details name an address: erased with the account, since they are personal data. */
const ADDRESS_EVENTS = ['email_change_requested', 'email_changed'];

/**
 * A deleted account's history: every event about it or by it keeps its place, the account's row
 * ids are replaced by the pseudonym, and the details that held its addresses are dropped.
 */
export async function pseudonymiseUserEvents(db: Db, userId: number, pseudonym: string): Promise<void> {
  await db(TABLE).where({ user_id: userId }).whereIn('event', ADDRESS_EVENTS).update({ details: null });
  await db(TABLE).where({ user_id: userId }).update({ user_id: null, subject_pseudonym: pseudonym });
  await db(TABLE).where({ actor_id: userId }).update({ actor_id: null, actor_pseudonym: pseudonym });
}

/** AUDIT_RETENTION: events older than `before` go, a batch at a time, through the created_at index. */
export function pruneAuditEvents(db: Db, before: Date): Promise<number> {
  return deleteInBatches(db, TABLE, () => db(TABLE).where('created_at', '<', before));
}
