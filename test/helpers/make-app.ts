import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { createApp, GatehouseApp } from '../../src/app';
import { Config, loadConfig, ROOT_DIR } from '../../src/config/env';
import { generateKeyPairPem, keysFromPem, keysFromSecret, SigningKeys } from '../../src/config/keys';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import type { Clock } from '../../src/lib/clock';
import type { Readiness } from '../../src/lib/readiness';

/** A fixed DATA_ENCRYPTION_KEY, so that apps of one test sharing a database read each other's sealed secrets. */
export const TEST_DATA_KEY = Buffer.alloc(32, 'gatehouse test data key').toString('base64');

export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  DATABASE_URL: 'sqlite::memory:',
  BCRYPT_COST: '4',
  LOG_LEVEL: 'silent',
  DATA_ENCRYPTION_KEY: TEST_DATA_KEY,
};

export const TEST_HS256_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/** A clock the test moves by hand: tokens expire and grace windows pass without sleeping. */
export interface TestClock extends Clock {
  advance(seconds: number): void;
}

export function createTestClock(start = new Date()): TestClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(seconds: number) {
      current += seconds * 1000;
    },
  };
}

const keyCache = new Map<string, SigningKeys>();

/** Real keys, generated once per test file and algorithm (RSA generation takes a moment). */
export function testKeys(algorithm: Config['jwt']['algorithm']): SigningKeys {
  let keys = keyCache.get(algorithm);
  if (!keys) {
    if (algorithm === 'HS256') keys = keysFromSecret(TEST_HS256_SECRET);
    else {
      const { privatePem, publicPem } = generateKeyPairPem(algorithm);
      keys = keysFromPem(algorithm, privatePem, publicPem);
    }
    keyCache.set(algorithm, keys);
  }
  return keys;
}

export interface TestApp {
  app: GatehouseApp;
  db: Knex;
  config: Config;
  keys: SigningKeys;
  clock: TestClock;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: TestClock;
  keys?: SigningKeys;
  db?: Knex;
  logger?: Logger;
  /** As server.ts flips it; without one the app is ready at once. */
  readiness?: Readiness;
}

/** A real app on a fresh, migrated database (in-memory SQLite unless DATABASE_URL says otherwise). */
export async function makeTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const env = { ...TEST_ENV, ...options.env };
  if (env.JWT_ALGORITHM === 'HS256') env.JWT_SECRET ??= TEST_HS256_SECRET;
  const config = loadConfig(env, ROOT_DIR, { requireKeyFiles: false });
  const keys = options.keys ?? testKeys(config.jwt.algorithm);
  const db = options.db ?? createDb(config.database.url, config.rootDir);
  await migrateLatest(db, config.rootDir);
  const clock = options.clock ?? createTestClock();
  const app = createApp({ config, db, keys, clock, readiness: options.readiness, ...(options.logger ? { logger: options.logger } : {}) });
  // The outbox first: a sender still at work must not find its pool gone.
  const close = async () => {
    await app.services.outbox.stop();
    if (!options.db) await db.destroy();
  };
  return { app, db, config, keys, clock, close };
}
