import path from 'node:path';
import express, { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config/env';
import type { SigningKeys } from './config/keys';
import type { Db } from './db/knex';
import { Clock, systemClock } from './lib/clock';
import { createLogger } from './lib/logger';
import { createMetrics } from './lib/metrics';
import { readRouteTable } from './lib/route-table';
import { observeDatabase } from './db/observe';
import { createReadiness, Readiness, refuseUntilStarted } from './lib/readiness';
import { createViewEngine } from './lib/view-engine';
import type { RedisCommander, RedisSubscriber } from './lib/redis';
import { createAuthenticate } from './middleware/authenticate';
import { parseCookies } from './middleware/cookies';
import { createCsrf } from './middleware/csrf';
import { createErrorHandler } from './middleware/error-handler';
import { createFlash } from './middleware/flash';
import { createNegotiateLanguage } from './middleware/language';
import { httpMetrics } from './middleware/http-metrics';
import { noStore } from './middleware/no-store';
import { notFound } from './middleware/not-found';
import { createRateLimits } from './middleware/rate-limit';
import { requestLogger } from './middleware/request-logger';
import { requireSameOrigin } from './middleware/same-origin';
import { requireFormOrJsonBody } from './middleware/body-type';
import { securityHeaders } from './middleware/security-headers';
import { viewLocals } from './middleware/view-locals';
import { routes } from './routes';
import { machineRoutes } from './routes/home.routes';
import { createServices, DEFAULT_REDIS_PREFIX, Services } from './services';
import type { AppContext } from './types/context';

export interface AppOptions {
  config: Config;
  db: Db;
  keys: SigningKeys;
  clock?: Clock;
  logger?: Logger;
  /** Counters in Redis, shared by every instance (server.ts passes one when REDIS_URL is set); memory otherwise. */
  redis?: RedisCommander;
  /** A second Redis connection, for the account-change messages between instances. */
  redisSubscriber?: RedisSubscriber;
  /** Before every Redis key and channel, e.g. one per test run (default "gatehouse:"). */
  redisPrefix?: string;
  /** server.ts passes one it flips (starting → ready → draining); without it the app is ready at once. */
  readiness?: Readiness;
  /** DATA_ENCRYPTION_KEY, decoded (config/data-key.ts); read from the configuration when absent. */
  dataKey?: Buffer;
}

export type GatehouseApp = Express & { services: Services };

/**
 * Builds the Express app and never listens: server.ts runs it, tests drive it with supertest.
 * The order of the middleware is the security model, top to bottom.
 */
export function createApp(options: AppOptions): GatehouseApp {
  const { config, db, keys, clock = systemClock, logger = createLogger(config), redis, redisSubscriber, readiness = createReadiness('ready'), dataKey } = options;
  const redisPrefix = options.redisPrefix ?? DEFAULT_REDIS_PREFIX;
  const metrics = createMetrics();
  observeDatabase(metrics, db);
  if (redis) metrics.gauge('gatehouse_redis_connected', '1 while Redis (shared counters and account changes) is connected, else 0', () => (redis.isReady ? 1 : 0));
  const services = createServices(config, db, keys, clock, logger, metrics, { redis, subscriber: redisSubscriber, prefix: redisPrefix }, dataKey);
  const rateLimits = createRateLimits({ config, logger, redis, prefix: `${redisPrefix}rl:`, metrics });
  const ctx: AppContext = { config, db, keys, services, rateLimits, readiness };
  const csrf = createCsrf(config, keys);
  const rootDir = config.rootDir;

  const app = express() as unknown as GatehouseApp;
  app.services = services;
  app.disable('x-powered-by');
  // Dynamic responses are never stored (middleware/no-store.ts), so they need no ETag either.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  // Express caches views only in production; caching is a property of the deployment, not of NODE_ENV=test.
  const viewCache = config.env !== 'development';
  const viewsDir = path.join(rootDir, 'views');
  const views = createViewEngine(viewsDir, { cache: viewCache, debug: !config.isProduction });
  app.engine('ejs', views.render);
  Object.assign(app.locals, views.helpers);
  app.set('view engine', 'ejs');
  app.set('views', viewsDir);
  app.set('view cache', viewCache);

  let routeTable: ReturnType<typeof readRouteTable> | undefined;
  app.use(requestLogger(logger, { trustRequestId: config.trustProxy !== false, observe: httpMetrics(metrics, () => routeTable) }));
  app.use(securityHeaders(config));
  // Only a path naming a file is looked up in public/: pages and the API never wait for a stat
  // on libuv's thread pool, which a login storm keeps busy with bcrypt (see lib/threadpool.ts).
  const publicFiles = express.static(path.join(rootDir, 'public'), { index: false, maxAge: config.isProduction ? '1h' : 0 });
  app.use((req, res, next) => (path.extname(req.path) ? publicFiles(req, res, next) : next()));
  app.use(noStore);
  app.use(machineRoutes(ctx));
  app.use(refuseUntilStarted(readiness));
  app.use(parseCookies(keys));
  // Plain `querystring` parsing: repeated fields become arrays (refused by validation), never objects.
  app.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 100 }));
  app.use(express.json({ limit: '100kb', strict: true }));
  app.use(requireFormOrJsonBody);

  app.use(requireSameOrigin);
  app.use(createAuthenticate(config, services));
  // After authenticate: a signed-in user's saved language comes first (docs/i18n.md).
  app.use(createNegotiateLanguage(services));
  app.use(createFlash(config));
  // Locals (and the page's CSRF token) first, so a refused POST still renders a proper page.
  app.use(viewLocals(csrf.issueToken));
  app.use(csrf.protect);

  app.use(routes(ctx));
  app.use(notFound);
  app.use(createErrorHandler(logger, metrics));
  routeTable = readRouteTable(app);
  return app;
}
