import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Options } from 'express-rate-limit';
import { TooManyRequestsError } from '../errors/app-error';
import type { Clock } from '../lib/clock';
import type { Message } from '../lib/i18n';
import { RedisCommander, RedisWithMemoryFallbackStore } from '../lib/redis';

/**
 * A fixed-window counter per key for the forms that send mail to an address someone typed
 * (forgot password, resend verification). It counts every request, whether or not the address
 * has an account, so being throttled tells nothing either.
 */
export interface Throttle {
  /** Counts one request for `key`; rejects with TooManyRequestsError past the limit. */
  hit(key: string, message: Message): Promise<void>;
}

/** Makes the throttle named `name`: in Redis when the instances share one, else in this process. */
export type ThrottleFactory = (name: string, limit: number, windowSeconds: number) => Throttle;

const MAX_KEYS = 50_000;

/**
 * In this process's memory, on the injected clock (so tests can move time). `name` is the
 * limiter's name in the metrics (gatehouse_rate_limit_refusals_total).
 */
export function createMemoryThrottle(clock: Clock, limit: number, windowSeconds: number, name: string): Throttle {
  const windows = new Map<string, { count: number; resetAt: number }>();

  function sweep(now: number): void {
    for (const [key, window] of windows) if (window.resetAt <= now) windows.delete(key);
    if (windows.size >= MAX_KEYS) windows.clear();
  }

  return {
    async hit(key, message) {
      const now = clock.now().getTime();
      let window = windows.get(key);
      if (!window || window.resetAt <= now) {
        if (windows.size >= MAX_KEYS) sweep(now);
        window = { count: 0, resetAt: now + windowSeconds * 1000 };
        windows.set(key, window);
      }
      if (window.count >= limit) throw new TooManyRequestsError(Math.ceil((window.resetAt - now) / 1000), message, name);
      window.count += 1;
    },
  };
}

/**
 * In Redis, shared by every instance, through the rate limiter's store: if Redis fails, each
 * instance counts in its own memory until it is back (the reasoning is in lib/redis.ts).
 */
export function createSharedThrottle(store: RedisWithMemoryFallbackStore, limit: number, windowSeconds: number, name: string): Throttle {
  store.init({ windowMs: windowSeconds * 1000 } as Options);
  return {
    async hit(key, message) {
      const { totalHits, resetTime } = await store.increment(key);
      if (totalHits <= limit) return;
      const retryAfter = resetTime ? Math.ceil((resetTime.getTime() - Date.now()) / 1000) : windowSeconds;
      throw new TooManyRequestsError(Math.max(1, retryAfter), message, name);
    },
  };
}

export function createThrottleFactory(deps: { clock: Clock; logger: Logger; redis?: RedisCommander; prefix: string }): ThrottleFactory {
  const { clock, logger, redis, prefix } = deps;
  return (name, limit, windowSeconds) => (redis
    ? createSharedThrottle(new RedisWithMemoryFallbackStore(redis, `${prefix}${name}:`, logger), limit, windowSeconds, name)
    : createMemoryThrottle(clock, limit, windowSeconds, name));
}

/** Addresses are kept as digests, so the throttle's memory is no list of who asked for what. */
export function addressKey(email: string): string {
  return crypto.createHash('sha256').update(email.toLowerCase()).digest('hex');
}
