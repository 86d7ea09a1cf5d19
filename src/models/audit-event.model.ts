import { Db, toDate } from '../db/knex';

export interface AuditEventRow {
  id: number;
  event: string;
  user_id: number | null;
  actor_id: number | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown> | null;
  created_at: Date;
}

export type NewAuditEvent = Omit<AuditEventRow, 'id'>;

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
  };
}

export async function insertAuditEvent(db: Db, event: NewAuditEvent): Promise<void> {
  await db(TABLE).insert({ ...event, details: event.details ? JSON.stringify(event.details) : null });
}

export async function listAuditEventsForUser(db: Db, userId: number, limit: number): Promise<AuditEventRow[]> {
  const rows = await db(TABLE).where({ user_id: userId }).orderBy('id', 'desc').limit(limit);
  return rows.map(toAuditEventRow);
}
