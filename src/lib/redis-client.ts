import type { Logger } from 'pino';
import { createClient } from 'redis';

/**
 * The Redis client, in a module of its own: the redis package is heavy to load (about 20 MB and
 * half a second), so server.ts imports this only when REDIS_URL is set.
 */
export type RedisClient = ReturnType<typeof createRedisClient>;

const SOCKET = { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) };

/** One warning when a connection is lost (however many errors follow), one line when it is back. */
function logOutages(client: { on(event: 'error' | 'ready', listener: (error: Error) => void): unknown }, logger: Logger, lost: string, back: string): void {
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error }, lost);
  });
  client.on('ready', () => {
    if (down) logger.info(back);
    down = false;
  });
}

/**
 * A client for the shared counters and for publishing. Commands fail at once while disconnected
 * (no offline queue, which would hold logins until Redis returned), and the client keeps
 * reconnecting in the background with a capped back-off.
 */
export function createRedisClient(url: string, logger: Logger) {
  const client = createClient({ url, disableOfflineQueue: true, socket: SOCKET });
  logOutages(client, logger, 'redis unreachable: rate limits fall back to this process\'s memory', 'redis reachable again: rate limits are shared again');
  return client;
}

/**
 * The connection for account-change messages (a subscribed connection can do nothing else).
 * Its SUBSCRIBE waits for the connection rather than failing, the client subscribes again
 * after every reconnect, and a PING every few seconds finds a connection that died silently.
 */
export function createRedisSubscriber(url: string, logger: Logger) {
  const subscriber = createClient({ url, pingInterval: 5000, socket: SOCKET });
  logOutages(subscriber, logger,
    'redis subscription lost: other instances\' account changes show here within 1 s (the cache\'s lifetime)',
    'redis subscription back: other instances\' account changes show here at once again');
  return subscriber;
}

export type RedisSubscriberClient = ReturnType<typeof createRedisSubscriber>;

/** The part of a client that connecting and closing need (commands and subscriber alike). */
interface Connection {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
}

/** Starts connecting without waiting: the app serves requests (on memory counters) while Redis is away. */
export function connectRedis(client: Connection, logger: Logger): void {
  client.connect().catch((error: unknown) => logger.warn({ err: error }, 'redis connection abandoned'));
}

export async function closeRedis(client: Connection): Promise<void> {
  if (client.isOpen) await client.close().catch(() => client.destroy());
  else client.destroy();
}

