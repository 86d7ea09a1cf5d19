import type { Server } from 'node:http';
import { createApp } from './app';
import { Config, ConfigError, loadConfig, loadDotEnv } from './config/env';
import { loadKeys } from './config/keys';
import { createDb, describeDatabase } from './db/knex';
import { migrateLatest } from './db/migrate';
import { createLogger } from './lib/logger';

const SHUTDOWN_TIMEOUT_MS = 10_000;
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/** Loads config, opens and migrates the database, listens, and shuts down cleanly on SIGTERM. */
async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config);
  const keys = loadKeys(config, { generateIfMissing: !config.isProduction });
  const db = createDb(config.database.url, config.rootDir);
  const applied = await migrateLatest(db, config.rootDir);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');

  const app = createApp({ config, db, keys, logger });
  const server = app.listen(config.server.port, config.server.host, () => {
    announce(config, server, keys.algorithm, keys.kid);
  });

  const prune = setInterval(() => {
    app.services.sessions.prune().catch((error) => logger.warn({ err: error }, 'pruning refresh sessions failed'));
  }, PRUNE_INTERVAL_MS);
  prune.unref();

  let stopping = false;
  const shutdown = (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    clearInterval(prune);
    const force = setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS);
    force.unref();
    server.close(() => {
      db.destroy().finally(() => process.exit(exitCode));
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (error) => {
    // State after an uncaught exception is unknown: log it, finish what we can, exit non-zero.
    logger.fatal({ err: error }, 'uncaught exception');
    shutdown('uncaughtException', 1);
  });
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
