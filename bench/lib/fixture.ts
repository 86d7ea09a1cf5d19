import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { writeKeyPair } from '../../src/config/keys';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { seed, SeedCounts } from '../../src/db/seed';
import { insertUser } from '../../src/models/user.model';
import { createPasswordService } from '../../src/services/password.service';
import { writeBenchHistory } from './history';
import { ROOT } from './processes';

export interface BenchAccount {
  username: string;
  email: string;
  password: string;
}

const PASSWORD = 'quokka-lantern-harbour-42';
/** Signs in for /me, the API and the login storm; its audit history fills the audit pages. */
export const BENCH_USER: BenchAccount = { username: 'bench_user', email: 'bench_user@example.test', password: PASSWORD };
/** Opens the admin pages. */
export const BENCH_ADMIN: BenchAccount = { username: 'bench_admin', email: 'bench_admin@example.test', password: PASSWORD };
/** Has 50 sessions (49 written here, the 50th its target's sign-in), for /me/sessions. */
export const BENCH_SESSIONS: BenchAccount = { username: 'bench_sessions', email: 'bench_sessions@example.test', password: PASSWORD };

/** Everything a run keeps in one temporary folder: a fresh RS256 key pair, SQLite files, server logs. */
export interface Workspace {
  dir: string;
  privateKeyFile: string;
  publicKeyFile: string;
  log(name: string): string;
  remove(): void;
}

export function createWorkspace(): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
  const privateKeyFile = path.join(dir, 'private.pem');
  const publicKeyFile = path.join(dir, 'public.pem');
  writeKeyPair('RS256', privateKeyFile, publicKeyFile);
  return {
    dir,
    privateKeyFile,
    publicKeyFile,
    log: (name) => path.join(dir, `${name}.log`),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Gatehouse as it runs in production: NODE_ENV=production (view cache on), Secure cookies with
 * the __Host- prefix, key files, info-level logs (to a file). Only the rate limits are raised,
 * since a benchmark is one IP hammering one account.
 */
export function gatehouseEnv(ws: Workspace, databaseUrl: string, bcryptCost: number, threadpool?: string): Record<string, string> {
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    JWT_ALGORITHM: 'RS256',
    JWT_PRIVATE_KEY_FILE: ws.privateKeyFile,
    JWT_PUBLIC_KEY_FILE: ws.publicKeyFile,
    COOKIE_SECURE: 'true',
    BCRYPT_COST: String(bcryptCost),
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000000000',
    RATE_LIMIT_AUTH_PER_IP: '1000000000',
    RATE_LIMIT_REGISTER_PER_IP: '1000000000',
    APP_URL: 'https://gatehouse.bench.invalid',
    // Required in production; nothing benchmarked sends mail, and nothing listens there.
    SMTP_URL: 'smtp://127.0.0.1:9',
    // Required in production: a fresh one per run (nothing benchmarked seals or reads a secret).
    DATA_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'),
    LOG_LEVEL: 'info',
  };
  if (threadpool) env.UV_THREADPOOL_SIZE = threadpool;
  return env;
}

/**
 * Migrates the database, seeds it when `counts` are given (npm run seed's generator), then writes
 * the bench's own accounts and history (bench/lib/history.ts) directly: no mail, no rate limit.
 * The "empty" database of the bench holds only the latter.
 */
export async function seedDatabase(databaseUrl: string, bcryptCost: number, counts?: SeedCounts): Promise<void> {
  const db = createDb(databaseUrl, ROOT);
  try {
    await migrateLatest(db, ROOT);
    if (counts) await seed(db, { counts, passwordHash: () => createPasswordService(bcryptCost).hash('seeded accounts are not signed in by the bench') });
    const existing = await db('users').where({ username: BENCH_USER.username }).first('id');
    if (existing) return;
    const passwordHash = await createPasswordService(bcryptCost).hash(PASSWORD);
    const now = new Date();
    const ids: Record<string, number> = {};
    for (const [account, roles] of [[BENCH_USER, {}], [BENCH_ADMIN, { is_admin: true }], [BENCH_SESSIONS, {}]] as const) {
      const user = await insertUser(db, {
        public_id: crypto.randomUUID(), username: account.username, email: account.email,
        first_name: 'Bench', second_name: 'User', password_hash: passwordHash, is_verified: true, ...roles,
      }, now);
      ids[account.username] = user.id;
    }
    await writeBenchHistory(db, { userId: ids[BENCH_USER.username]!, sessionsUserId: ids[BENCH_SESSIONS.username]!, passwordHash, now });
  } finally {
    await db.destroy();
  }
}

/** A throw-away MariaDB database next to BENCH_MYSQL_URL's, dropped at the end. */
export async function createScratchMysql(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const base = new URL(baseUrl);
  const name = `gatehouse_bench_${crypto.randomBytes(4).toString('hex')}`;
  const connection = {
    host: base.hostname,
    port: Number(base.port || 3306),
    user: decodeURIComponent(base.username),
    password: decodeURIComponent(base.password),
  };
  const admin = () => knex({ client: 'mysql2', connection, pool: { min: 0, max: 1 } });
  const creator = admin();
  try {
    await creator.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await creator.destroy();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const dropper = admin();
      try {
        await dropper.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await dropper.destroy();
      }
    },
  };
}
