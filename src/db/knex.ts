import fs from 'node:fs';
import path from 'node:path';
import knex, { Knex } from 'knex';
import { CachingBetterSqlite3Client } from './sqlite-client';

export type Db = Knex;
export type Engine = 'sqlite' | 'mysql';

/**
 * One Knex factory for every supported URL form:
 * `sqlite:PATH` (relative to the project root), `sqlite::memory:` and `mysql://user:pass@host:port/db`.
 */
export interface DbOptions {
  /** SQLite's synchronous pragma for file databases (SQLITE_SYNCHRONOUS); see sqliteConfig. */
  sqliteSynchronous?: 'normal' | 'full';
}

export function createDb(url: string, rootDir: string, options: DbOptions = {}): Db {
  return knex(knexConfig(url, rootDir, options));
}

export function knexConfig(url: string, rootDir: string, options: DbOptions = {}): Knex.Config {
  if (url.startsWith('sqlite:')) return sqliteConfig(url.slice('sqlite:'.length), rootDir, options.sqliteSynchronous ?? 'normal');
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

/**
 * File databases run in WAL mode with synchronous=NORMAL by default (as Rails 8 configures
 * SQLite): a commit no longer waits for an fsync, which took ~1.2 ms here and, better-sqlite3
 * being synchronous, held the whole process for it on every write (a ceiling of ~850 writes a
 * second, whatever the CPU). WAL with NORMAL cannot corrupt the database; what it gives up is
 * the last commits before a power loss or an OS crash (never a process crash): recent
 * sign-ins, rotations or sign-outs may be undone then. SQLITE_SYNCHRONOUS=full restores an
 * fsync per commit.
 */
const SQLITE_CACHE_KB = 4000;

function sqliteConfig(location: string, rootDir: string, synchronous: 'normal' | 'full'): Knex.Config {
  const inMemory = location === ':memory:';
  const filename = inMemory ? ':memory:' : path.resolve(rootDir, location);
  if (!inMemory) fs.mkdirSync(path.dirname(filename), { recursive: true });
  return {
    client: CachingBetterSqlite3Client as unknown as Knex.Config['client'],
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
        if (!inMemory) conn.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
        // 4 MB of page cache instead of better-sqlite3's 16: the hot pages of every listed query
        // fit many times over, pages beyond it come from the OS's file cache (outside the
        // process's RSS), and a seeded million-row database no longer adds 12 MB to each process.
        if (!inMemory) conn.pragma(`cache_size = -${SQLITE_CACHE_KB}`);
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
