import type { Logger } from 'pino';
import { ClientRateLimitInfo, MemoryStore, Options, Store } from 'express-rate-limit';
import { RedisReply, RedisStore } from 'rate-limit-redis';

/** All the rate limiter, the throttles and a publisher need from a Redis client: raw commands. */
export interface RedisCommander {
  sendCommand(args: string[]): Promise<unknown>;
  /** node-redis: connected and ready for commands (read by the metrics). */
  readonly isReady?: boolean;
}

/** A connection of its own for pub/sub (a subscribed connection can do nothing else). */
export interface RedisSubscriber {
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  /** 'ready' each time the connection is (re-)established. */
  on(event: 'ready', listener: () => void): unknown;
}

/** A Redis command slower than this counts as an outage: a login never waits on Redis for long. */
const COMMAND_TIMEOUT_MS = 500;

export function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A rate-limit store in Redis that falls back to process memory when Redis fails or is slow.
 * The fallback is a decision: failing closed (503) would let a Redis outage take login down,
 * and failing open with no limit at all would hand attackers an unthrottled window. Per-process
 * counters keep every limit in force on each instance until Redis is back.
 */
export class RedisWithMemoryFallbackStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  private readonly redis: RedisStore;
  private readonly memory = new MemoryStore();
  private options: Options | undefined;
  private scriptsLoaded = false;

  constructor(client: RedisCommander, prefix: string, private readonly logger: Logger) {
    this.prefix = prefix;
    this.redis = new RedisStore({ prefix, sendCommand: (...args: string[]) => client.sendCommand(args) as Promise<RedisReply> });
  }

  init(options: Options): void {
    this.options = options;
    this.memory.init(options);
  }

  increment(key: string): Promise<ClientRateLimitInfo> {
    return this.attempt('increment', () => this.redis.increment(key), () => this.memory.increment(key));
  }

  get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return this.attempt('get', () => this.redis.get(key), () => this.memory.get(key));
  }

  decrement(key: string): Promise<void> {
    return this.attempt('decrement', () => this.redis.decrement(key), () => this.memory.decrement(key));
  }

  resetKey(key: string): Promise<void> {
    return this.attempt('resetKey', () => this.redis.resetKey(key), () => this.memory.resetKey(key));
  }

  shutdown(): void {
    this.memory.shutdown();
  }

  private async attempt<T>(operation: string, viaRedis: () => Promise<T>, viaMemory: () => Promise<T>): Promise<T> {
    try {
      // RedisStore loads its Lua scripts once, at init: if Redis was down then, load them again.
      if (!this.scriptsLoaded && this.options) await withTimeout(this.redis.init(this.options));
      this.scriptsLoaded = true;
      return await withTimeout(viaRedis());
    } catch (error) {
      this.scriptsLoaded = false;
      this.logger.debug({ err: error, operation }, 'rate-limit counter served from memory');
      return viaMemory();
    }
  }
}
