import fs from 'node:fs';
import path from 'node:path';
import knex, { Knex } from 'knex';

export type Db = Knex;
export type Engine = 'sqlite' | 'mysql';

/**
 * One Knex factory for every supported URL form:
 * `sqlite:PATH` (relative to the project root), `sqlite::memory:` and `mysql://user:pass@host:port/db`.
 */
export function createDb(url: string, rootDir: string): Db {
  return knex(knexConfig(url, rootDir));
}

export function knexConfig(url: string, rootDir: string): Knex.Config {
  if (url.startsWith('sqlite:')) return sqliteConfig(url.slice('sqlite:'.length), rootDir);
  if (url.startsWith('mysql://')) return mysqlConfig(url);
  throw new Error('DATABASE_URL must start with sqlite: or mysql://');
}

export function engineOf(db: Db): Engine {
  return db.client.config.client === 'mysql2' ? 'mysql' : 'sqlite';
}

/** Where the database lives, for the start-up banner: never the password. */
export function describeDatabase(url: string): string {
  if (!url.startsWith('mysql://')) return url;
  const parsed = new URL(url);
  return `mysql://${parsed.hostname}:${parsed.port || 3306}${parsed.pathname}`;
}

function sqliteConfig(location: string, rootDir: string): Knex.Config {
  const inMemory = location === ':memory:';
  const filename = inMemory ? ':memory:' : path.resolve(rootDir, location);
  if (!inMemory) fs.mkdirSync(path.dirname(filename), { recursive: true });
  return {
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    // One connection: SQLite has a single writer, and an in-memory database lives and dies
    // with its connection, so it must never be recycled.
    pool: {
      min: 1,
      max: 1,
      idleTimeoutMillis: Number.MAX_SAFE_INTEGER,
      afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        if (!inMemory) conn.pragma('journal_mode = WAL');
        done(null, conn);
      },
    },
  };
}

function mysqlConfig(url: string): Knex.Config {
  const parsed = new URL(url);
  return {
    client: 'mysql2',
    connection: {
      host: parsed.hostname,
      port: Number(parsed.port || 3306),
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      database: decodeURIComponent(parsed.pathname.slice(1)),
      charset: 'utf8mb4',
      // Dates are written and read as UTC whatever the server's or the host's time zone.
      timezone: 'Z',
      connectTimeout: 5000,
    },
    pool: { min: 0, max: 10 },
    acquireConnectionTimeout: 5000,
  };
}

/** True when a write failed on a UNIQUE index, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** The column a unique violation was about, read from the engine's message. */
export function uniqueViolationColumn(error: unknown, columns: readonly string[]): string | undefined {
  const message = String((error as { message?: unknown } | null)?.message ?? '');
  return columns.find((column) => message.includes(`.${column}`) || message.includes(`_${column}_unique`));
}

/** Normalises what the drivers return for DATETIME columns (numbers on SQLite, Dates on MySQL). */
export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  if (typeof value === 'string') return new Date(/^\d+$/.test(value) ? Number(value) : value);
  throw new TypeError('not a date');
}

export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}
