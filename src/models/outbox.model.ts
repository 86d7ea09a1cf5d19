import { Db, toDate, toDateOrNull } from '../db/knex';

export type OutboxStatus = 'pending' | 'done' | 'failed';

export interface OutboxRow {
  id: number;
  kind: string;
  template: string | null;
  payload: string | null;
  status: OutboxStatus;
  attempts: number;
  available_at: Date;
  claim: string | null;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

const TABLE = 'outbox';

function toRow(raw: Record<string, unknown>): OutboxRow {
  return {
    id: Number(raw.id),
    kind: String(raw.kind),
    template: (raw.template as string | null) ?? null,
    payload: (raw.payload as string | null) ?? null,
    status: String(raw.status) as OutboxStatus,
    attempts: Number(raw.attempts),
    available_at: toDate(raw.available_at),
    claim: (raw.claim as string | null) ?? null,
    last_error: (raw.last_error as string | null) ?? null,
    created_at: toDate(raw.created_at),
    finished_at: toDateOrNull(raw.finished_at),
  };
}

export async function insertOutboxRow(db: Db, row: { kind: string; template: string | null; payload: string; now: Date }): Promise<void> {
  await db(TABLE).insert({
    kind: row.kind, template: row.template, payload: row.payload, status: 'pending', attempts: 0, available_at: row.now, created_at: row.now,
  });
}

function due(db: Db, now: Date) {
  return db(TABLE).where('status', 'pending').where('available_at', '<=', now);
}

/**
 * MySQL/MariaDB, inside the caller's transaction: the oldest due row, locked until that
 * transaction ends. SKIP LOCKED passes over rows other instances are working on, so senders
 * never wait for each other and never take the same row; if the holder dies, its transaction
 * rolls back and the row is free again at once.
 */
export async function lockNextDueRow(trx: Db, now: Date): Promise<OutboxRow | undefined> {
  const raw = await due(trx, now).orderBy('id').limit(1).forUpdate().skipLocked().first();
  return raw ? toRow(raw) : undefined;
}

/**
 * SQLite (one writer, so no transaction may stay open while a mail is sent): one statement
 * marks the oldest due row with this claim and pushes its availability to the lease's end; a
 * claim that dies with its process is retried once the lease is over.
 */
export async function leaseNextDueRow(db: Db, now: Date, claim: string, leaseEnd: Date): Promise<OutboxRow | undefined> {
  const next = due(db, now).orderBy('id').limit(1).select('id');
  const taken = await db(TABLE).whereIn('id', next).update({ claim, available_at: leaseEnd });
  if (taken === 0) return undefined;
  const raw = await db(TABLE).where({ claim }).first();
  return raw ? toRow(raw) : undefined;
}

export interface Outcome {
  status: OutboxStatus;
  attempts: number;
  availableAt?: Date;
  lastError?: string | null;
  now: Date;
}

/**
 * Writes how an attempt ended. `claim` guards a leased row: false when the lease was lost (the
 * row is another sender's now). A finished row keeps no payload.
 */
export async function recordOutcome(db: Db, id: number, claim: string | null, outcome: Outcome): Promise<boolean> {
  const finished = outcome.status !== 'pending';
  const query = db(TABLE).where({ id });
  if (claim !== null) query.where({ claim });
  const changed = await query.update({
    status: outcome.status,
    attempts: outcome.attempts,
    claim: null,
    last_error: outcome.lastError ?? null,
    ...(outcome.availableAt ? { available_at: outcome.availableAt } : {}),
    ...(finished ? { payload: null, finished_at: outcome.now } : {}),
  });
  return changed === 1;
}

export async function findOutboxRow(db: Db, id: number): Promise<OutboxRow | undefined> {
  const raw = await db(TABLE).where({ id }).first();
  return raw ? toRow(raw) : undefined;
}

export async function listOutboxRows(db: Db): Promise<OutboxRow[]> {
  return (await db(TABLE).orderBy('id')).map(toRow);
}

/** Rows still waiting to be done (due now or later). */
export async function countPending(db: Db): Promise<number> {
  const row = await db(TABLE).where('status', 'pending').count<{ n: number | string }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Deletes finished rows of one status finished before `before`, a bounded batch at a time. */
export async function pruneOutbox(db: Db, status: 'done' | 'failed', before: Date, batch = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = (await db(TABLE).where({ status }).where('finished_at', '<', before).limit(batch).select('id')).map((row: { id: unknown }) => Number(row.id));
    if (ids.length === 0) return total;
    total += await db(TABLE).whereIn('id', ids).delete();
    if (ids.length < batch) return total;
  }
}
