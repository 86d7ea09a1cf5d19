import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { Db, engineOf } from '../db/knex';
import type { Clock } from '../lib/clock';
import type { Metrics } from '../lib/metrics';
import type { RequestMeta } from '../lib/request-meta';
import * as Rows from '../models/outbox.model';

/**
 * What to do with a row's payload. A `job` changes the database: it runs in a transaction that
 * also marks the row done, so its effect happens exactly once. A `delivery` acts outside (SMTP):
 * it is marked done after it succeeded, so a sender that dies in between sends it again later —
 * at least once, never lost.
 */
export type OutboxHandler =
  | { job(payload: unknown, trx: Db): Promise<void> }
  | { deliver(payload: unknown): Promise<void> };

export interface Outbox {
  /**
   * Writes work to be done after `trx` commits (or at once, without one): the row commits or
   * rolls back with the change it belongs to.
   */
  add(kind: string, payload: unknown, trx?: Db, template?: string): Promise<void>;
  handle(kind: string, handler: OutboxHandler): void;
  /** Polls for due rows (other instances' work, retries) until stop(). server.ts starts it. */
  start(): void;
  /** Stops polling and waits for the rows being worked on. */
  stop(): Promise<void>;
  /** Works until no row is due now: for tests, the command line and shutdown. */
  drain(): Promise<void>;
  /** Rows still to be done, due or waiting for a retry. */
  depth(): Promise<number>;
  /** Deletes done rows after a week and given-up rows after 30 days (run hourly by the server). */
  prune(): Promise<number>;
}

/** The payload of the jobs behind the public mail forms (forgot password, resend verification). */
export interface AddressRequest {
  email: string;
  meta: RequestMeta;
}

export function readAddressRequest(payload: unknown): AddressRequest {
  const { email, meta } = (payload ?? {}) as Partial<AddressRequest>;
  if (typeof email !== 'string' || !meta || typeof meta !== 'object') throw new Error('outbox row is not an address request');
  return { email, meta };
}

export interface OutboxOptions {
  /** Past this age a failing row is given up: logged as an error and kept without its payload. */
  retryForSeconds: number;
  pollMs?: number;
  concurrency?: number;
  /** SQLite's lease: longer than any attempt can take (SMTP gives up within 40 s). */
  leaseMs?: number;
}

const DAY_MS = 24 * 3600_000;
const KEEP_DONE_MS = 7 * DAY_MS;
const KEEP_FAILED_MS = 30 * DAY_MS;
const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_MS = 10 * 60_000;

/** The next attempt after `attempts` failures: 10 s, 20 s, 40 s … capped at 10 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_MS);
}

/** Error text for the log and the row: never the address a mail was for (SMTP replies often quote it). */
export function describeFailure(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/[^\s<>"'@]+@[^\s<>"']+/g, '[address]').slice(0, 300);
}

export function createOutbox(deps: { db: Db; clock: Clock; logger: Logger; metrics: Metrics; options: OutboxOptions }): Outbox {
  const { db, clock, logger, metrics } = deps;
  const failures = metrics.counter('gatehouse_mail_send_failures_total', 'Outbox rows (mail, mail-form jobs) that failed an attempt, by what happened next', {
    outcome: ['will_retry', 'given_up'],
  });
  const { retryForSeconds, pollMs = 1000, concurrency = 2, leaseMs = 120_000 } = deps.options;
  const handlers = new Map<string, OutboxHandler>();
  const locksRows = engineOf(db) === 'mysql';
  let workers = 0;
  /** Rows worked on so far: drain() goes on while a pass still finds work. */
  let worked = 0;
  let idleWaiters: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** Runs the row's handler; the outcome is written in `trx` (a job's own transaction, or the row lock's). */
  async function attempt(row: Rows.OutboxRow, claim: string | null, trx?: Db): Promise<void> {
    const handler = handlers.get(row.kind);
    const attempts = row.attempts + 1;
    try {
      if (!handler) throw new Error(`no handler for outbox rows of kind ${row.kind}`);
      const payload: unknown = JSON.parse(row.payload ?? 'null');
      if ('job' in handler) {
        const run = async (jobTrx: Db) => {
          await handler.job(payload, jobTrx);
          if (!(await Rows.recordOutcome(jobTrx, row.id, claim, { status: 'done', attempts, now: clock.now() }))) {
            throw new Error('outbox lease lost'); // another sender owns the row now: undo this run
          }
        };
        // Under a row lock, a savepoint: a failing job is undone and its failure still recorded.
        await (trx ? trx.transaction(run) : db.transaction(run));
      } else {
        await handler.deliver(payload);
        await Rows.recordOutcome(trx ?? db, row.id, claim, { status: 'done', attempts, now: clock.now() });
      }
    } catch (error) {
      await recordFailure(row, claim, attempts, error, trx ?? db);
    }
  }

  async function recordFailure(row: Rows.OutboxRow, claim: string | null, attempts: number, error: unknown, trx: Db): Promise<void> {
    const now = clock.now();
    const reason = describeFailure(error);
    const context = { outbox: row.id, kind: row.kind, template: row.template ?? undefined, attempts, reason };
    if (now.getTime() - row.created_at.getTime() >= retryForSeconds * 1000) {
      await Rows.recordOutcome(trx, row.id, claim, { status: 'failed', attempts, lastError: reason, now });
      failures.inc({ outcome: 'given_up' });
      logger.error(context, 'outbox row given up: kept as failed for inspection');
      return;
    }
    const availableAt = new Date(now.getTime() + retryDelayMs(attempts));
    await Rows.recordOutcome(trx, row.id, claim, { status: 'pending', attempts, availableAt, lastError: reason, now });
    failures.inc({ outcome: 'will_retry' });
    logger.warn({ ...context, retryAt: availableAt.toISOString() }, 'outbox row failed: will retry');
  }

  /** Claims and works on one due row; false when none is due. */
  async function workOnNext(): Promise<boolean> {
    if (locksRows) {
      // READ COMMITTED: the row lock without InnoDB's gap locks, which would hold every insert
      // into the outbox (every registration, every forgot-password) while a mail is being sent.
      return db.transaction(async (trx) => {
        const row = await Rows.lockNextDueRow(trx, clock.now());
        if (row) await attempt(row, null, trx);
        return row !== undefined;
      }, { isolationLevel: 'read committed' });
    }
    const claim = crypto.randomBytes(12).toString('hex');
    const now = clock.now();
    const row = await Rows.leaseNextDueRow(db, now, claim, new Date(now.getTime() + leaseMs));
    if (row) await attempt(row, claim);
    return row !== undefined;
  }

  async function worker(): Promise<void> {
    try {
      while (!stopped && (await workOnNext())) worked += 1;
    } catch (error) {
      logger.warn({ err: error }, 'outbox: cannot claim work (the database is unreachable?); trying again at the next poll');
    } finally {
      workers -= 1;
      if (workers === 0) {
        const waiting = idleWaiters;
        idleWaiters = [];
        for (const resolve of waiting) resolve();
      }
    }
  }

  function wake(): void {
    while (!stopped && workers < concurrency) {
      workers += 1;
      void worker();
    }
  }

  function idle(): Promise<void> {
    return workers === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
  }

  return {
    async add(kind, payload, trx = db, template) {
      await Rows.insertOutboxRow(trx, { kind, template: template ?? null, payload: JSON.stringify(payload), now: clock.now() });
      // After commit, this instance starts on it at once; a rollback leaves nothing to do.
      if (trx.isTransaction) (trx as Knex.Transaction).executionPromise.then(() => setImmediate(wake), () => undefined);
      else setImmediate(wake);
    },

    handle(kind, handler) {
      handlers.set(kind, handler);
    },

    start() {
      stopped = false;
      timer = setInterval(wake, pollMs);
      timer.unref();
      wake();
    },

    async stop() {
      stopped = true;
      clearInterval(timer);
      await idle();
    },

    async drain() {
      let before: number;
      do {
        before = worked;
        wake();
        await idle();
      } while (!stopped && worked > before);
    },

    depth() {
      return Rows.countPending(db);
    },

    async prune() {
      const now = clock.now().getTime();
      return (await Rows.pruneOutbox(db, 'done', new Date(now - KEEP_DONE_MS)))
        + (await Rows.pruneOutbox(db, 'failed', new Date(now - KEEP_FAILED_MS)));
    },
  };
}
