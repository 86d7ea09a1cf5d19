import crypto from 'node:crypto';
import { TooManyRequestsError } from '../errors/app-error';
import type { Clock } from '../lib/clock';

/**
 * A fixed-window counter per key, on the injected clock, for the forms that send mail to an
 * address someone typed (forgot password, resend verification). It counts every request,
 * whether or not the address has an account, so being throttled tells nothing either.
 *
 * Counters live in this process's memory: several instances each allow the limit.
 */
export interface Throttle {
  /** Counts one request for `key`; throws TooManyRequestsError past the limit. */
  hit(key: string, message: string): void;
}

const MAX_KEYS = 50_000;

/** `name` is the limiter's name in the metrics (gatehouse_rate_limit_refusals_total). */
export function createThrottle(clock: Clock, limit: number, windowSeconds: number, name: string): Throttle {
  const windows = new Map<string, { count: number; resetAt: number }>();

  function sweep(now: number): void {
    for (const [key, window] of windows) if (window.resetAt <= now) windows.delete(key);
    if (windows.size >= MAX_KEYS) windows.clear();
  }

  return {
    hit(key, message) {
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

/** Addresses are kept as digests, so the throttle's memory is no list of who asked for what. */
export function addressKey(email: string): string {
  return crypto.createHash('sha256').update(email.toLowerCase()).digest('hex');
}
