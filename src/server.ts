import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { createApp } from './app';
import { Config, ConfigError, loadConfig, loadDotEnv } from './config/env';
import { loadDataKey } from './config/data-key';
import { KeyRing, loadKeys } from './config/keys';
import { createDb, Db, describeDatabase } from './db/knex';
import { migrateWhenAvailable } from './db/migrate';
import { createHttpServer } from './lib/http-server';
import { createLogger } from './lib/logger';
import { createReadiness, Readiness } from './lib/readiness';
import type { RedisClient, RedisSubscriberClient } from './lib/redis-client';
import type { Logger } from 'pino';
import { superviseWorkers } from './lib/supervisor';
import { bcryptSlots, libuvPoolSize } from './lib/threadpool';

const SHUTDOWN_TIMEOUT_MS = 10_000;
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Loads config; then either serves (one process, or one worker of several) or, with
 * WEB_CONCURRENCY above 1, migrates once and supervises the workers (lib/supervisor.ts).
 */
async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config);
  // The primary made the development keys, if any were needed: a worker only reads them.
  if (cluster.isWorker) return serve(config, logger, loadKeys(config), loadDataKey(config));

  // UV_THREADPOOL_SIZE is not set from here: under tsx the pool is already running by now, so
  // it only counts in the environment the process starts with (see lib/threadpool.ts).
  logger.info({ threadpool: libuvPoolSize(), bcryptSlots: bcryptSlots() }, 'libuv thread pool: bcrypt holds at most bcryptSlots threads');
  const keys = loadKeys(config, { generateIfMissing: !config.isProduction });
  const dataKey = loadDataKey(config, { generateIfMissing: !config.isProduction });
  if (config.server.workers === 1) return serve(config, logger, keys, dataKey, { migrate: true });

  // Once for the deployment, before any worker starts: the workers never migrate.
  const db = createDb(config.database.url, config.rootDir, config.database);
  const applied = await migrate(db, config, logger, () => false).finally(() => db.destroy());
  if (applied === undefined) return;
  superviseWorkers({
    workers: config.server.workers,
    logger,
    shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
    onListening: ({ port }) => announce(config, port, keys),
  });
}

/** Applies pending migrations, waiting for a database that does not answer yet; undefined if `stopped` first. */
async function migrate(db: Db, config: Config, logger: Logger, stopped: () => boolean): Promise<string[] | undefined> {
  const applied = await migrateWhenAvailable(db, config.rootDir, {
    stopped,
    onUnavailable: (error, attempt) => {
      if (attempt === 1 || attempt % 30 === 0) logger.warn({ err: error, attempt }, 'database unreachable: waiting for it before migrating');
    },
  });
  if (applied && applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  return applied;
}

/**
 * Serves requests until SIGTERM: the whole app of one process, or of one worker. It listens
 * first (so /healthz answers at once), migrates when asked to, and only then becomes ready:
 * /readyz answers 503 until then and again from SIGTERM on.
 */
async function serve(config: Config, logger: Logger, keys: KeyRing, dataKey: Buffer, options: { migrate?: boolean } = {}): Promise<void> {
  // A rotation (npm run keys:rotate) is picked up from the key files without a restart.
  keys.watch(logger);
  const db = createDb(config.database.url, config.rootDir, config.database);
  const redis = config.redis.url ? openRedis(config.redis.url, logger) : undefined;
  const readiness = createReadiness();
  const app = createApp({ config, db, keys, logger, redis: redis?.client, redisSubscriber: redis?.subscriber, readiness, dataKey });
  // Built now rather than inside the first login or registration (see PasswordService.warmUp).
  app.services.passwords.warmUp().catch((error) => logger.warn({ err: error }, 'password service warm-up failed'));
  const server = createHttpServer(app);
  server.once('error', (error) => {
    logger.fatal({ err: error }, 'cannot listen');
    process.exit(1);
  });
  const prune = setInterval(() => {
    app.services.sessions.prune().catch((error) => logger.warn({ err: error }, 'pruning refresh sessions failed'));
    app.services.verification.prune().catch((error) => logger.warn({ err: error }, 'pruning account tokens failed'));
    app.services.outbox.prune().catch((error) => logger.warn({ err: error }, 'pruning the outbox failed'));
    app.services.mfaLogin.prune().catch((error) => logger.warn({ err: error }, 'pruning pending logins failed'));
    app.services.passkeys.prune().catch((error) => logger.warn({ err: error }, 'pruning WebAuthn challenges failed'));
    app.services.audit.prune().catch((error) => logger.warn({ err: error }, 'pruning audit events past AUDIT_RETENTION failed'));
    app.services.devices.prune().catch((error) => logger.warn({ err: error }, 'pruning known devices failed'));
  }, PRUNE_INTERVAL_MS);
  prune.unref();
  handleShutdown({ config, logger, server, readiness, prune, stopApp: async () => {
    keys.stop();
    // Mail being sent is finished; what is still waiting stays in the outbox for the next sender.
    await app.services.outbox.stop().catch((error) => logger.warn({ err: error }, 'stopping the outbox failed'));
    if (redis) await redis.close().catch((error) => logger.warn({ err: error }, 'closing redis failed'));
    await db.destroy().catch((error) => logger.warn({ err: error }, 'closing the database pool failed'));
  } });

  await new Promise<void>((resolve) => server.listen(config.server.port, config.server.host, resolve));
  if (options.migrate) {
    logger.info('listening; not ready until the database is migrated');
    if ((await migrate(db, config, logger, () => readiness.state === 'draining')) === undefined) return;
  }
  readiness.ready();
  app.services.outbox.start();
  // Several workers: the primary announces once, when all of them listen.
  if (cluster.isPrimary) announce(config, portOf(server, config), keys);
}

interface ShutdownParts {
  config: Config;
  logger: Logger;
  server: Server;
  readiness: Readiness;
  prune: NodeJS.Timeout;
  /** After the last response: the key watcher, the outbox, Redis, the database pool. */
  stopApp(): Promise<void>;
}

/**
 * SIGTERM/SIGINT: /readyz turns 503 and, for SHUTDOWN_DRAIN_DELAY, requests are still served
 * while the proxy takes this process out of rotation; then the server stops accepting, lets
 * requests in flight finish (idle keep-alive sockets are closed at once, busy ones after their
 * response), stops the app and exits 0. A shutdown that hangs is cut short after SHUTDOWN_TIMEOUT_MS.
 */
function handleShutdown({ config, logger, server, readiness, prune, stopApp }: ShutdownParts): void {
  let stopping = false;
  const close = (reason: string, exitCode: number) => {
    logger.info({ reason }, 'shutting down: no new connections, finishing requests in flight');
    const force = setTimeout(() => {
      logger.error('shutdown timed out: exiting with requests still open');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    server.close(async () => {
      await stopApp();
      logger.info({ exitCode }, 'database pool closed; stopped');
      process.exit(exitCode);
    });
    // A keep-alive socket becomes idle once its last response is out: close it then, rather
    // than waiting for its keep-alive timeout.
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), 200).unref();
  };
  const shutdown = (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    readiness.drain();
    clearInterval(prune);
    // A process in an unknown state (exit code 1) stops accepting at once.
    const drainMs = exitCode === 0 ? config.server.drainSeconds * 1000 : 0;
    if (drainMs === 0) return close(reason, exitCode);
    logger.info({ reason, drainSeconds: config.server.drainSeconds }, 'draining: /readyz answers 503, requests still served');
    setTimeout(() => close(reason, exitCode), drainMs);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // A worker whose primary is gone has nobody to restart it or pass on signals: it drains and exits.
  if (cluster.isWorker) process.on('disconnect', () => shutdown('the primary process is gone'));
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
function openRedis(url: string, logger: Logger): { client: RedisClient; subscriber: RedisSubscriberClient; close(): Promise<void> } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, on purpose
  const { closeRedis, connectRedis, createRedisClient, createRedisSubscriber } = require('./lib/redis-client') as typeof import('./lib/redis-client');
  const client = createRedisClient(url, logger);
  const subscriber = createRedisSubscriber(url, logger);
  connectRedis(client, logger);
  connectRedis(subscriber, logger);
  return { client, subscriber, close: async () => { await Promise.all([closeRedis(client), closeRedis(subscriber)]); } };
}

function portOf(server: Server, config: Config): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : config.server.port;
}

function announce(config: Config, port: number, keys: KeyRing): void {
  const workers = config.server.workers;
  process.stdout.write(
    `Gatehouse listening on http://${config.server.host}:${port}\n`
    + `  database: ${describeDatabase(config.database.url)}\n`
    + `  signing:  ${keys.algorithm} (kid ${keys.kid})\n`
    + `  mode:     ${config.env}${config.cookies.secure ? ', secure cookies' : ''}${workers > 1 ? `, ${workers} workers` : ''}\n`,
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
