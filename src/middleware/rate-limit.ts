import crypto from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, Options, rateLimit, RateLimitInfo, RateLimitRequestHandler, Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { TooManyRequestsError } from '../errors/app-error';
import { createMetrics, loginCounter, Metrics } from '../lib/metrics';
import { RedisCommander, RedisWithMemoryFallbackStore } from '../lib/redis';

const MINUTE_MS = 60_000;
const WINDOW_MS = 15 * MINUTE_MS;
const REGISTRATION_WINDOW_MS = 60 * MINUTE_MS;
/** Wrong current passwords per signed-in user (profile email change, password change). */
const PASSWORD_CHECKS_PER_USER = 10;
const CEILING_WINDOW_MS = 24 * 60 * MINUTE_MS;
/** NIST SP 800-63B 5.2.2: at most 100 consecutive failed attempts on one account. */
export const ACCOUNT_FAILURE_CEILING = 100;
const UNLIMITED = Number.MAX_SAFE_INTEGER;
/** Fields whose wrong values passwordCheck counts. */
const CHECKED_SECRETS = ['current_password', 'code', 'recovery_code'];

export interface RateLimits {
  /** Before every login attempt, form and API. */
  login: RequestHandler[];
  /** Before every registration attempt, form and API. */
  register: RequestHandler[];
  /**
   * After validation, before every handler that checks the current password, an authenticator
   * code or a recovery code of a signed-in user: someone holding a stolen session must not
   * guess them there instead of at the login form. Malformed requests never get this far, so
   * only real checks are counted, all on one counter per user.
   */
  passwordCheck: RequestHandler[];
  shutdown(): void;
}

export interface RateLimitOptions {
  config: Config;
  logger: Logger;
  /** Counters in Redis, shared by every instance; in this process's memory when absent. */
  redis?: RedisCommander;
  /** Redis key prefix, so several apps (or test runs) can share one Redis. */
  prefix?: string;
  /** Throttled logins are counted as a login outcome. */
  metrics?: Metrics;
}

/**
 * The account a login names, as one stable key: trimmed, case- and compatibility-folded
 * (MySQL's utf8mb4_unicode_ci finds "ａｌｉｃｅ", "ÁLICE" and "ali\u200Bce" as alice, so they
 * must share alice's counters), then hashed so no login name is ever stored in Redis.
 * Undefined when the field is not one string: validation refuses it, and the per-IP limit counted it.
 */
export function accountKey(body: unknown): string | undefined {
  const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const login = [fields.login, fields.username, fields.email].find((value) => value !== undefined);
  if (typeof login !== 'string') return undefined;
  const folded = login
    .normalize('NFKD')
    .replace(/[\p{M}\p{Cf}\p{Cc}]/gu, '')
    .trim()
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/ı/g, 'i');
  if (folded === '') return undefined;
  return crypto.createHash('sha256').update(folded).digest('hex').slice(0, 32);
}

/**
 * The account key of the login throttles: from the body's login, or, for the second step of a
 * login (which carries a code, not a login), the key its first step was counted under.
 */
export function loginAccountKey(req: Request): string | undefined {
  return req.loginThrottleKey ?? accountKey(req.body);
}

/** The client's address as Express resolved it under TRUST_PROXY; IPv6 grouped by /56 as express-rate-limit advises. */
function ipKey(req: Request): string {
  return ipKeyGenerator(req.ip ?? 'unknown');
}

const onlyCredentialFailures = (_req: Request, res: Response) => res.statusCode !== 401;

/**
 * Every limiter answers 429 through the one error handler (the error page, or the JSON
 * envelope under /api) with Retry-After, and never says which limit was hit: a throttled
 * account looks exactly like a throttled unknown name.
 */
function refuse(name: string) {
  return (req: Request, _res: Response, next: NextFunction, options: Options): void => {
    const info = (req as unknown as Record<string, RateLimitInfo | undefined>)[options.requestPropertyName];
    const resetAt = info?.resetTime?.getTime() ?? Date.now() + options.windowMs;
    next(new TooManyRequestsError(Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)), undefined, name));
  };
}

/** The login chain's limiters, each counting its refusals as a "throttled" login. */
function countingThrottledLogins(metrics: Metrics, limiters: RequestHandler[]): RequestHandler[] {
  const logins = loginCounter(metrics);
  return limiters.map((limiter) => (req, res, next) => limiter(req, res, (error?: unknown) => {
    if (error instanceof TooManyRequestsError) logins.inc({ outcome: 'throttled' });
    next(error);
  }));
}

/** One express-rate-limit instance per limit, each with its own store (memory, or Redis under its own prefix). */
function limiterFactory({ logger, redis, prefix, stores }: { logger: Logger; redis?: RedisCommander; prefix: string; stores: Store[] }) {
  return (name: string, options: Partial<Options>): RateLimitRequestHandler => {
    const store = redis ? new RedisWithMemoryFallbackStore(redis, `${prefix}${name}:`, logger) : new MemoryStore();
    stores.push(store);
    return rateLimit({
      standardHeaders: false, // the counts would tell an attacker how close an account is to its ceiling
      legacyHeaders: false,
      requestPropertyName: `rateLimit_${name}`,
      handler: refuse(name),
      logger: { error: (error, message) => logger.error({ err: error }, message), warn: (error, message) => logger.warn({ err: error }, message) },
      // X-Forwarded-For with TRUST_PROXY off is an attacker's spoof to ignore, not a misconfiguration to log.
      validate: { xForwardedForHeader: false },
      store,
      ...options,
    });
  };
}

/**
 * Throttling that slows guessing without becoming a lock-out tool (see docs/security.md):
 * - all login and registration attempts per IP (RATE_LIMIT_AUTH_PER_IP per 15 min);
 * - failed logins per account and IP (RATE_LIMIT_LOGIN_PER_ACCOUNT per 15 min);
 * - failed logins per account across all IPs (100 per day). Past this ceiling only the IPs
 *   that have already failed for the account are refused, after their first failure; an IP
 *   that has not been failing still gets in with the right password, so a distributed
 *   attacker cannot lock the owner out, and each of their addresses is down to one guess a day;
 * - accounts created per IP (RATE_LIMIT_REGISTER_PER_IP per hour).
 * Failures are 401 answers only: a 422 is not a guess, and a successful login is not counted.
 */
export function createRateLimits({ config, logger, redis, prefix = 'gatehouse:rl:', metrics = createMetrics() }: RateLimitOptions): RateLimits {
  const stores: Store[] = [];
  const limiter = limiterFactory({ logger, redis, prefix, stores });
  // Never below the per-account-and-IP allowance: raising that (a load test, a scanner) raises this too.
  const ceiling = Math.max(ACCOUNT_FAILURE_CEILING, config.rateLimit.loginPerAccount);
  const forAccount = (req: Request) => `${loginAccountKey(req)}:${ipKey(req)}`;
  const noAccount = (req: Request) => loginAccountKey(req) === undefined;

  const authPerIp = limiter('auth-ip', { windowMs: WINDOW_MS, limit: config.rateLimit.authPerIp, keyGenerator: ipKey });
  const failuresPerAccountAndIp = limiter('login-account-ip', {
    windowMs: WINDOW_MS,
    limit: config.rateLimit.loginPerAccount,
    keyGenerator: forAccount,
    skip: noAccount,
    skipSuccessfulRequests: true,
    requestWasSuccessful: onlyCredentialFailures,
  });
  const failuresPerAccount = limiter('login-account', {
    windowMs: CEILING_WINDOW_MS,
    limit: UNLIMITED, // a counter only: the limiter below decides
    keyGenerator: (req) => loginAccountKey(req) ?? '',
    skip: noAccount,
    skipSuccessfulRequests: true,
    requestWasSuccessful: onlyCredentialFailures,
  });
  const failingIpsPastCeiling = limiter('login-account-ip-day', {
    windowMs: CEILING_WINDOW_MS,
    limit: async (req) => {
      const failures = (await failuresPerAccount.getKey(loginAccountKey(req) ?? ''))?.totalHits ?? 0;
      return failures >= ceiling ? 1 : UNLIMITED;
    },
    keyGenerator: forAccount,
    skip: noAccount,
    skipSuccessfulRequests: true,
    requestWasSuccessful: onlyCredentialFailures,
  });
  const registrationsPerIp = limiter('register-ip', {
    windowMs: REGISTRATION_WINDOW_MS,
    limit: config.rateLimit.registerPerIp,
    keyGenerator: ipKey,
    skipFailedRequests: true, // accounts created; refused attempts count in authPerIp
  });

  const passwordChecksPerUser = limiter('password-check-user', {
    windowMs: WINDOW_MS,
    limit: PASSWORD_CHECKS_PER_USER,
    keyGenerator: (req) => req.user?.id ?? '',
    skip: (req) => !req.user || !CHECKED_SECRETS.some((field) => typeof req.body?.[field] === 'string' && req.body[field] !== ''),
    skipSuccessfulRequests: true,
  });

  return {
    login: countingThrottledLogins(metrics, [authPerIp, failuresPerAccountAndIp, failingIpsPastCeiling, failuresPerAccount]),
    register: [authPerIp, registrationsPerIp],
    passwordCheck: [passwordChecksPerUser],
    shutdown() {
      for (const store of stores) store.shutdown?.();
    },
  };
}
