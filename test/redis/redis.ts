import crypto from 'node:crypto';
import pino, { Logger } from 'pino';
import { createApp } from '../../src/app';
import { loadConfig, ROOT_DIR } from '../../src/config/env';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import type { RedisCommander, RedisSubscriber } from '../../src/lib/redis';
import { createTestClock, TEST_ENV, TestApp, testKeys } from '../helpers/make-app';

/**
 * Redis suites run when TEST_REDIS_URL is set (CI sets it) and are skipped, by name, otherwise.
 * Every run uses its own key prefix, so parallel runs and other suites never share counters.
 */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;

export const describeRedis: jest.Describe = TEST_REDIS_URL
  ? describe
  : (((name: string, fn: () => void) => describe.skip(`${name} (skipped: TEST_REDIS_URL is not set)`, fn)) as unknown as jest.Describe);

export function uniquePrefix(): string {
  return `gatehouse-test:${crypto.randomBytes(6).toString('hex')}:`;
}

/** A logger whose lines the test can read. */
export function capturingLogger(): { logger: Logger; lines: () => Array<{ level: number; msg: string }> } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug', base: undefined }, { write: (line: string) => void lines.push(line) });
  return { logger, lines: () => lines.map((line) => JSON.parse(line)) };
}

/** makeTestApp, with the rate-limit counters in Redis under the given prefix. */
export async function makeRedisApp(
  redis: RedisCommander, prefix: string, options: { env?: Record<string, string>; logger?: Logger; redisSubscriber?: RedisSubscriber } = {},
): Promise<TestApp> {
  const config = loadConfig({ ...TEST_ENV, TRUST_PROXY: 'loopback', ...options.env }, ROOT_DIR, { requireKeyFiles: false });
  const keys = testKeys(config.jwt.algorithm);
  const db = createDb(config.database.url, config.rootDir);
  await migrateLatest(db, config.rootDir);
  const clock = createTestClock();
  const app = createApp({ config, db, keys, clock, redis, redisPrefix: prefix, redisSubscriber: options.redisSubscriber, ...(options.logger ? { logger: options.logger } : {}) });
  return { app, db, config, keys, clock, close: async () => { await app.services.outbox.stop(); await db.destroy(); } };
}
