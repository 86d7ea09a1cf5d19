import type { Server } from 'node:http';
import { createApp } from './app';
import { Config, ConfigError, loadConfig, loadDotEnv } from './config/env';
import { loadKeys } from './config/keys';
import { createDb, describeDatabase } from './db/knex';
import { migrateLatest } from './db/migrate';
import { createHttpServer } from './lib/http-server';
import { createLogger } from './lib/logger';
import type { RedisClient } from './lib/redis-client';
import type { Logger } from 'pino';
import { bcryptSlots, libuvPoolSize } from './lib/threadpool';

const SHUTDOWN_TIMEOUT_MS = 10_000;
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/** Loads config, opens and migrates the database, listens, and shuts down cleanly on SIGTERM. */
async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config);
  // UV_THREADPOOL_SIZE is not set from here: under tsx the pool is already running by now, so
  // it only counts in the environment the process starts with (see lib/threadpool.ts).
  logger.info({ threadpool: libuvPoolSize(), bcryptSlots: bcryptSlots() }, 'libuv thread pool: bcrypt holds at most bcryptSlots threads');
  const keys = loadKeys(config, { generateIfMissing: !config.isProduction });
  const db = createDb(config.database.url, config.rootDir, config.database);
  const applied = await migrateLatest(db, config.rootDir);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');

  const redis = config.redis.url ? openRedis(config.redis.url, logger) : undefined;
  const app = createApp({ config, db, keys, logger, redis: redis?.client });
  // Built now rather than inside the first login or registration (see PasswordService.warmUp).
  app.services.passwords.warmUp().catch((error) => logger.warn({ err: error }, 'password service warm-up failed'));
  const server = createHttpServer(app);
  server.once('error', (error) => {
    logger.fatal({ err: error }, 'cannot listen');
    process.exit(1);
  });
  server.listen(config.server.port, config.server.host, () => announce(config, server, keys.algorithm, keys.kid));

  const prune = setInterval(() => {
    app.services.sessions.prune().catch((error) => logger.warn({ err: error }, 'pruning refresh sessions failed'));
    app.services.verification.prune().catch((error) => logger.warn({ err: error }, 'pruning account tokens failed'));
  }, PRUNE_INTERVAL_MS);
  prune.unref();

  /**
   * SIGTERM/SIGINT: stop accepting, let requests in flight finish (idle keep-alive sockets are
   * closed at once, busy ones after their response), then close the Redis client and the
   * database pool, and exit 0. A shutdown that hangs is cut short after SHUTDOWN_TIMEOUT_MS.
   */
  let stopping = false;
  const shutdown = (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down: no new connections, finishing requests in flight');
    clearInterval(prune);
    const force = setTimeout(() => {
      logger.error('shutdown timed out: exiting with requests still open');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    server.close(async () => {
      // Mail queued by the last requests (verification links, reset links) goes out first.
      await app.services.background.idle().catch((error) => logger.warn({ err: error }, 'background tasks failed'));
      if (redis) await redis.close().catch((error) => logger.warn({ err: error }, 'closing redis failed'));
      await db.destroy().catch((error) => logger.warn({ err: error }, 'closing the database pool failed'));
      logger.info({ exitCode }, 'database pool closed; stopped');
      process.exit(exitCode);
    });
    // A keep-alive socket becomes idle once its last response is out: close it then, rather
    // than waiting for its keep-alive timeout.
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), 200).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // After an unhandled rejection or exception the process's state is unknown (a half-applied
  // change, a lost callback). Carrying on would leave it half-alive, so both are treated alike:
  // logged as fatal, requests in flight finish, and the process exits 1 for its supervisor to restart.
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    shutdown('unhandledRejection', 1);
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    shutdown('uncaughtException', 1);
  });
}

/** Loaded only when REDIS_URL is set: the redis package costs memory and start-up time. */
function openRedis(url: string, logger: Logger): { client: RedisClient; close(): Promise<void> } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, on purpose
  const { closeRedis, connectRedis, createRedisClient } = require('./lib/redis-client') as typeof import('./lib/redis-client');
  const client = createRedisClient(url, logger);
  connectRedis(client, logger);
  return { client, close: () => closeRedis(client) };
}

function announce(config: Config, server: Server, algorithm: string, kid: string): void {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  process.stdout.write(
    `Gatehouse listening on http://${config.server.host}:${port}\n`
    + `  database: ${describeDatabase(config.database.url)}\n`
    + `  signing:  ${algorithm} (kid ${kid})\n`
    + `  mode:     ${config.env}${config.cookies.secure ? ', secure cookies' : ''}\n`,
  );
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Gatehouse failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
