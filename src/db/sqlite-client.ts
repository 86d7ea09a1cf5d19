/**
 * Knex's better-sqlite3 client, keeping the statements it prepares, and beginning transactions
 * as writers (ImmediateTransaction, below). Knex prepares every query
 * anew (SQLite parses and plans the SQL each time: about a sixth of a refresh rotation's CPU
 * here); the same few dozen statements make up nearly all of the app's queries, so each
 * connection keeps its prepared statements by SQL text, the least recently used dropped past
 * STATEMENTS_KEPT. Reuse is safe: better-sqlite3 runs a statement to completion synchronously,
 * binds fresh values on every run, and SQLite re-prepares a kept statement itself when a
 * migration changes the schema.
 */
interface Statement {
  reader: boolean;
}

interface Connection {
  prepare(sql: string): Statement;
}

/** The part of Knex's client this class builds on: its _query prepares through `connection.prepare`. */
type KnexSqliteClient = new (config: unknown) => { _query(connection: Connection, obj: unknown): Promise<unknown> };

/** Knex's SQLite transaction: `begin` sends its first statement. */
type KnexSqliteTransaction = new (...args: unknown[]) => { readOnly?: boolean; begin(conn: unknown): Promise<unknown>; query(conn: unknown, sql: string): Promise<unknown> };

// eslint-disable-next-line @typescript-eslint/no-require-imports -- knex exports its dialects only by path
const ClientBetterSqlite3 = require('knex/lib/dialects/better-sqlite3') as KnexSqliteClient;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the same
const TransactionSqlite = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction') as KnexSqliteTransaction;

/**
 * Transactions take SQLite's write lock when they begin (BEGIN IMMEDIATE), not at their first
 * write. A deferred transaction that reads first (a refresh rotation reads the token's row, then
 * claims it) cannot upgrade to a writer once another process has committed in between: SQLite
 * fails it at once with SQLITE_BUSY_SNAPSHOT, whatever busy_timeout says. With several processes
 * on one file (WEB_CONCURRENCY, or instances sharing it) that failed rotations under load; now a
 * second writer waits for the lock (busy_timeout) and every transaction sees the rows it claims.
 * One process has one connection, so nothing changes there.
 */
class ImmediateTransaction extends TransactionSqlite {
  override begin(conn: unknown): Promise<unknown> {
    return this.readOnly ? super.begin(conn) : this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

const STATEMENTS_KEPT = 500;

const kept = new WeakMap<Connection, Map<string, Statement>>();

function preparedOn(connection: Connection, sql: string): Statement {
  let statements = kept.get(connection);
  if (!statements) kept.set(connection, (statements = new Map()));
  let statement = statements.get(sql);
  if (statement) {
    // Most recently used last, so the first key is the one to drop.
    statements.delete(sql);
  } else {
    statement = connection.prepare(sql);
    if (statements.size >= STATEMENTS_KEPT) statements.delete(statements.keys().next().value as string);
  }
  statements.set(sql, statement);
  return statement;
}

export class CachingBetterSqlite3Client extends ClientBetterSqlite3 {
  /** Knex's own transaction, begun as a writer (ImmediateTransaction). */
  transaction(...args: unknown[]): unknown {
    return new ImmediateTransaction(this, ...args);
  }

  /** Knex's own query, handed a connection whose prepare returns the kept statement. */
  override _query(connection: Connection, obj: unknown): Promise<unknown> {
    if (!connection) return super._query(connection, obj);
    return super._query({ prepare: (sql: string) => preparedOn(connection, sql) }, obj);
  }
}
