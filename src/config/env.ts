import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseDuration } from './duration';

export type JwtAlgorithm = 'RS256' | 'ES256' | 'HS256';
export type NodeEnv = 'development' | 'production' | 'test';
export type SqliteSynchronous = 'normal' | 'full';

export interface Config {
  readonly env: NodeEnv;
  readonly isProduction: boolean;
  readonly rootDir: string;
  /**
   * workers: WEB_CONCURRENCY, the processes `npm start` runs (node:cluster above 1).
   * drainSeconds: after SIGTERM, how long /readyz answers 503 while requests are still served.
   */
  readonly server: { readonly host: string; readonly port: number; readonly workers: number; readonly drainSeconds: number };
  /** sqliteSynchronous: SQLite's `synchronous` pragma for file databases (see db/knex.ts). */
  readonly database: { readonly url: string; readonly sqliteSynchronous: SqliteSynchronous };
  readonly jwt: {
    readonly algorithm: JwtAlgorithm;
    readonly privateKeyFile: string;
    readonly publicKeyFile: string;
    readonly secret: string | undefined;
    /** HS256: the secret before JWT_SECRET, still accepted for verification (tokens, CSRF, signed cookies). */
    readonly previousSecret: string | undefined;
    /** RS256/ES256: one file per key that stopped signing and still verifies (see config/previous-keys.ts). */
    readonly previousKeysDir: string;
    /** How often every instance looks at the key files for a rotation. */
    readonly reloadIntervalSeconds: number;
    readonly issuer: string;
    readonly audience: string;
    readonly accessTtlSeconds: number;
    readonly refreshTtlSeconds: number;
    readonly reuseGraceSeconds: number;
    /** SESSION_IDLE_TTL: a sign-in without "Remember me" ends after this long unused (and its cookies with the browser). */
    readonly idleTtlSeconds: number;
  };
  readonly passwords: { readonly bcryptCost: number };
  readonly cookies: { readonly secure: boolean; readonly accessName: string; readonly refreshName: string };
  readonly trustProxy: boolean | number | string;
  readonly rateLimit: { readonly loginPerAccount: number; readonly authPerIp: number; readonly registerPerIp: number };
  /** Where rate-limit counters live when several instances must share them; memory otherwise. */
  readonly redis: { readonly url: string | undefined };
  readonly log: { readonly level: string };
  /** The absolute base URL users reach the app at, without a trailing slash: every emailed link starts with it. */
  readonly appUrl: string;
  /** SMTP when smtpUrl is set; otherwise (never in production) files in outboxDir, shown at /dev/mail. */
  /** retryForSeconds: how long a mail that fails is retried before it is given up. */
  readonly mail: { readonly smtpUrl: string | undefined; readonly from: string; readonly outboxDir: string; readonly retryForSeconds: number };
  readonly accounts: { readonly requireVerifiedEmail: boolean };
  /** AUDIT_RETENTION: security events (with their IPs and user agents) older than this are pruned. */
  readonly audit: { readonly retentionSeconds: number };
  /** GET /metrics: with a token, only Bearer <token>; without one, served except in production. */
  readonly metrics: { readonly token: string | undefined };
  /**
   * Second factors. `dataKey` is DATA_ENCRYPTION_KEY as given (base64 of 32 bytes), or undefined:
   * then config/data-key.ts keeps a generated one in `dataKeyFile` (never in production).
   */
  readonly mfa: { readonly requireForAdmins: boolean; readonly dataKey: string | undefined; readonly dataKeyFile: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The project root, the nearest folder above this file holding package.json: src/config/ →
 * the root, and so does the compiled dist/src/config/ (the build copies no package.json).
 * Paths in variables are relative to it; views/ and public/ are read from it.
 */
export const ROOT_DIR = findProjectRoot(__dirname);

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..', '..');
  }
}

const optional = z.string().trim().optional();
/** Orchestrators give a stopping process 30 s by default (Kubernetes' terminationGracePeriodSeconds) before killing it. */
const MAX_DRAIN_SECONDS = 60;

const DATA_KEY_MESSAGE = 'DATA_ENCRYPTION_KEY must be 32 random bytes in base64, e.g. the output of: openssl rand -base64 32';
/** Where development keeps its generated DATA_ENCRYPTION_KEY, next to the generated signing keys. */
export const DEV_DATA_KEY_FILE = './keys/data-encryption.key';

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], {
    error: 'NODE_ENV must be development, production or test',
  }).default('development'),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: z.coerce.number({ error: 'PORT must be a number' }).int().min(0).max(65535, 'PORT must be 0–65535').default(3000),
  WEB_CONCURRENCY: z.coerce.number({ error: 'WEB_CONCURRENCY must be a number' }).int('WEB_CONCURRENCY must be a whole number')
    .min(1, 'WEB_CONCURRENCY must be at least 1').max(64, 'WEB_CONCURRENCY must be at most 64').default(1),
  DATABASE_URL: z.string().trim().default('sqlite:./data/gatehouse.sqlite')
    .refine((url) => /^(sqlite:.+|mysql:\/\/.+)$/.test(url), 'DATABASE_URL must be sqlite:PATH, sqlite::memory: or mysql://user:pass@host:port/db'),
  SQLITE_SYNCHRONOUS: z.enum(['normal', 'full'], { error: 'SQLITE_SYNCHRONOUS must be normal or full' }).default('normal'),
  JWT_ALGORITHM: z.enum(['RS256', 'ES256', 'HS256'], { error: 'JWT_ALGORITHM must be RS256, ES256 or HS256' }).default('RS256'),
  JWT_PRIVATE_KEY_FILE: z.string().trim().min(1).default('./keys/private.pem'),
  JWT_PUBLIC_KEY_FILE: z.string().trim().min(1).default('./keys/public.pem'),
  JWT_SECRET: z.string().optional(),
  JWT_SECRET_PREVIOUS: z.string().optional(),
  JWT_PREVIOUS_KEYS_DIR: optional,
  JWT_KEYS_RELOAD_INTERVAL: optional,
  JWT_ISSUER: z.string().trim().min(1, 'JWT_ISSUER must not be empty').default('gatehouse'),
  JWT_AUDIENCE: z.string().trim().min(1, 'JWT_AUDIENCE must not be empty').default('gatehouse'),
  ACCESS_TOKEN_TTL: optional,
  REFRESH_TOKEN_TTL: optional,
  REFRESH_REUSE_GRACE: optional,
  SESSION_IDLE_TTL: optional,
  AUDIT_RETENTION: optional,
  SHUTDOWN_DRAIN_DELAY: optional,
  BCRYPT_COST: z.coerce.number({ error: 'BCRYPT_COST must be a number' }).int('BCRYPT_COST must be a whole number')
    .min(4, 'BCRYPT_COST must be at least 4').max(15, 'BCRYPT_COST above 15 takes seconds per login').default(12),
  COOKIE_SECURE: z.enum(['true', 'false'], { error: 'COOKIE_SECURE must be true or false' }).optional(),
  TRUST_PROXY: optional,
  RATE_LIMIT_LOGIN_PER_ACCOUNT: z.coerce.number({ error: 'RATE_LIMIT_LOGIN_PER_ACCOUNT must be a number' }).int().min(1, 'RATE_LIMIT_LOGIN_PER_ACCOUNT must be at least 1').default(10),
  RATE_LIMIT_AUTH_PER_IP: z.coerce.number({ error: 'RATE_LIMIT_AUTH_PER_IP must be a number' }).int().min(1, 'RATE_LIMIT_AUTH_PER_IP must be at least 1').default(100),
  RATE_LIMIT_REGISTER_PER_IP: z.coerce.number({ error: 'RATE_LIMIT_REGISTER_PER_IP must be a number' }).int().min(1, 'RATE_LIMIT_REGISTER_PER_IP must be at least 1').default(20),
  REDIS_URL: z.string().trim().optional()
    .refine((url) => url === undefined || isRedisUrl(url), 'REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379'),
  APP_URL: optional,
  SMTP_URL: optional,
  MAIL_FROM: z.string().trim().default('Gatehouse <no-reply@localhost>'),
  MAIL_OUTBOX_DIR: optional,
  MAIL_RETRY_FOR: optional,
  REQUIRE_VERIFIED_EMAIL: z.enum(['true', 'false'], { error: 'REQUIRE_VERIFIED_EMAIL must be true or false' }).default('false'),
  METRICS_TOKEN: z.string().optional()
    .refine((token) => token === undefined || /^[A-Za-z0-9._~+/=-]{24,512}$/.test(token), 'METRICS_TOKEN must be 24 or more characters of A-Z a-z 0-9 . _ ~ + / = - (e.g. openssl rand -hex 32)'),
  REQUIRE_MFA_FOR_ADMINS: z.enum(['true', 'false'], { error: 'REQUIRE_MFA_FOR_ADMINS must be true or false' }).default('false'),
  DATA_ENCRYPTION_KEY: z.string().trim().optional()
    .refine((key) => key === undefined || isDataKey(key), DATA_KEY_MESSAGE),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
  }).optional(),
});

type Env = Record<string, string | undefined>;

export interface LoadOptions {
  /** Tests build keys in memory: key files need not exist. */
  requireKeyFiles?: boolean;
  /** `npm run keys` creates the key files or the HS256 secret: their absence is no reason to refuse. */
  forKeyGeneration?: boolean;
}

/** Reads `.env` from the project root into process.env, never overriding what is already set. */
export function loadDotEnv(rootDir = ROOT_DIR): void {
  const file = path.join(rootDir, '.env');
  if (fs.existsSync(file)) process.loadEnvFile(file);
}

/**
 * Builds the one frozen configuration object. Every problem is collected and reported
 * together, each naming its variable, so a broken deployment is fixed in one pass.
 */
/**
 * NODE_ENV alone, read the way loadConfig reads it: for commands that must refuse production
 * before anything else is checked (npm run seed).
 */
export function nodeEnvOf(env: Env = process.env): NodeEnv {
  const parsed = EnvSchema.shape.NODE_ENV.safeParse(env.NODE_ENV === '' ? undefined : env.NODE_ENV);
  return parsed.success ? parsed.data : 'development';
}

export function loadConfig(env: Env = process.env, rootDir = ROOT_DIR, options: LoadOptions = {}): Config {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const problems: string[] = [];
  const parsed = EnvSchema.safeParse(blanksRemoved);
  let e: z.infer<typeof EnvSchema>;
  if (parsed.success) e = parsed.data;
  else {
    // Report these and keep going with the defaults in their place, so the checks below
    // (secret, durations, production rules) report their problems in the same pass.
    problems.push(...parsed.error.issues.map((issue) => describeIssue(issue.path.join('.'), issue.message)));
    const invalid = new Set(parsed.error.issues.map((issue) => String(issue.path[0])));
    e = EnvSchema.parse(Object.fromEntries(Object.entries(blanksRemoved).filter(([name]) => !invalid.has(name))));
  }
  const isProduction = e.NODE_ENV === 'production';

  const durationOf = (name: keyof typeof e, fallback: string, min: number): number => {
    const text = (e[name] as string | undefined) ?? fallback;
    const seconds = parseDuration(text);
    if (seconds === undefined) problems.push(`${name} must be a duration such as 30s, 15m, 12h or 7d (got "${text}")`);
    else if (seconds < min) problems.push(`${name} must be at least ${min}s`);
    return seconds ?? 0;
  };
  const accessTtlSeconds = durationOf('ACCESS_TOKEN_TTL', '15m', 1);
  const refreshTtlSeconds = durationOf('REFRESH_TOKEN_TTL', '7d', 1);
  const reuseGraceSeconds = durationOf('REFRESH_REUSE_GRACE', '30s', 0);
  const idleTtlSeconds = durationOf('SESSION_IDLE_TTL', '12h', 60);
  const auditRetentionSeconds = durationOf('AUDIT_RETENTION', '180d', 86400);
  const mailRetryForSeconds = durationOf('MAIL_RETRY_FOR', '1h', 60);
  const reloadIntervalSeconds = durationOf('JWT_KEYS_RELOAD_INTERVAL', '10s', 1);
  const drainSeconds = durationOf('SHUTDOWN_DRAIN_DELAY', '0s', 0);
  if (drainSeconds > MAX_DRAIN_SECONDS) problems.push(`SHUTDOWN_DRAIN_DELAY must be at most ${MAX_DRAIN_SECONDS}s`);
  if (refreshTtlSeconds && accessTtlSeconds > refreshTtlSeconds) {
    problems.push('ACCESS_TOKEN_TTL must not be longer than REFRESH_TOKEN_TTL');
  }

  const cookieSecure = e.COOKIE_SECURE === undefined ? isProduction : e.COOKIE_SECURE === 'true';
  const resolve = (file: string) => path.resolve(rootDir, file);
  const privateKeyFile = resolve(e.JWT_PRIVATE_KEY_FILE);
  const publicKeyFile = resolve(e.JWT_PUBLIC_KEY_FILE);
  const previousKeysDir = e.JWT_PREVIOUS_KEYS_DIR ? resolve(e.JWT_PREVIOUS_KEYS_DIR) : path.join(path.dirname(publicKeyFile), 'previous');

  if (e.JWT_ALGORITHM === 'HS256' && !options.forKeyGeneration) {
    // The raw string's bytes are the HMAC key: under 32 bytes it can be brute-forced offline.
    if (e.JWT_SECRET === undefined) problems.push('JWT_SECRET is required when JWT_ALGORITHM is HS256');
    else if (Buffer.byteLength(e.JWT_SECRET, 'utf8') < 32) problems.push('JWT_SECRET must be at least 32 bytes long');
    if (e.JWT_SECRET_PREVIOUS !== undefined) {
      if (Buffer.byteLength(e.JWT_SECRET_PREVIOUS, 'utf8') < 32) problems.push('JWT_SECRET_PREVIOUS must be at least 32 bytes long');
      else if (e.JWT_SECRET_PREVIOUS === e.JWT_SECRET) problems.push('JWT_SECRET_PREVIOUS must differ from JWT_SECRET (unset it once the rotation is over)');
    }
  }
  if (isProduction) {
    if (e.COOKIE_SECURE === 'false') problems.push('COOKIE_SECURE=false is refused in production: cookies must carry the Secure flag');
    if (e.BCRYPT_COST < 10) problems.push('BCRYPT_COST must be at least 10 in production');
    if (e.JWT_ALGORITHM !== 'HS256' && options.requireKeyFiles !== false && !options.forKeyGeneration) {
      for (const [name, file] of [['JWT_PRIVATE_KEY_FILE', privateKeyFile], ['JWT_PUBLIC_KEY_FILE', publicKeyFile]] as const) {
        if (!fs.existsSync(file)) problems.push(`${name} points to ${file}, which does not exist (production never generates keys: run npm run keys)`);
      }
    }
  }

  if (e.WEB_CONCURRENCY > 1 && e.REDIS_URL === undefined) {
    problems.push('WEB_CONCURRENCY above 1 needs REDIS_URL: the workers share rate limits and revocation through Redis');
  }
  if (e.WEB_CONCURRENCY > 1 && e.DATABASE_URL === 'sqlite::memory:') {
    problems.push('WEB_CONCURRENCY above 1 cannot use sqlite::memory:: each worker would have a database of its own');
  }
  const trustProxy = parseTrustProxy(e.TRUST_PROXY, problems);
  const appUrl = parseAppUrl(e.APP_URL, e.HOST, e.PORT, isProduction, problems);
  const smtpUrl = parseSmtpUrl(e.SMTP_URL, isProduction, problems);
  if (!isMailbox(e.MAIL_FROM)) problems.push('MAIL_FROM must be an address such as no-reply@example.com or "Gatehouse <no-reply@example.com>"');
  if (isProduction && e.DATA_ENCRYPTION_KEY === undefined && !problems.some((problem) => problem.startsWith('DATA_ENCRYPTION_KEY'))) {
    problems.push('DATA_ENCRYPTION_KEY is required in production: it encrypts TOTP secrets (openssl rand -base64 32; keep it out of the repository)');
  }
  const outboxDir = resolve(e.MAIL_OUTBOX_DIR ?? (e.NODE_ENV === 'test' ? path.join(os.tmpdir(), 'gatehouse-test-outbox') : './data/outbox'));
  if (problems.length > 0) throw new ConfigError(problems);

  const cookiePrefix = cookieSecure ? '__Host-' : '';
  const config: Config = {
    env: e.NODE_ENV,
    isProduction,
    rootDir,
    server: { host: e.HOST, port: e.PORT, workers: e.WEB_CONCURRENCY, drainSeconds },
    database: { url: e.DATABASE_URL, sqliteSynchronous: e.SQLITE_SYNCHRONOUS },
    jwt: {
      algorithm: e.JWT_ALGORITHM,
      privateKeyFile,
      publicKeyFile,
      secret: e.JWT_SECRET,
      previousSecret: e.JWT_ALGORITHM === 'HS256' ? e.JWT_SECRET_PREVIOUS : undefined,
      previousKeysDir,
      reloadIntervalSeconds,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTtlSeconds,
      refreshTtlSeconds,
      reuseGraceSeconds,
      idleTtlSeconds,
    },
    passwords: { bcryptCost: e.BCRYPT_COST },
    cookies: { secure: cookieSecure, accessName: `${cookiePrefix}access_token`, refreshName: `${cookiePrefix}refresh_token` },
    trustProxy,
    rateLimit: { loginPerAccount: e.RATE_LIMIT_LOGIN_PER_ACCOUNT, authPerIp: e.RATE_LIMIT_AUTH_PER_IP, registerPerIp: e.RATE_LIMIT_REGISTER_PER_IP },
    redis: { url: e.REDIS_URL },
    log: { level: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info') },
    appUrl,
    mail: { smtpUrl, from: e.MAIL_FROM, outboxDir, retryForSeconds: mailRetryForSeconds },
    accounts: { requireVerifiedEmail: e.REQUIRE_VERIFIED_EMAIL === 'true' },
    audit: { retentionSeconds: auditRetentionSeconds },
    metrics: { token: e.METRICS_TOKEN },
    mfa: { requireForAdmins: e.REQUIRE_MFA_FOR_ADMINS === 'true', dataKey: e.DATA_ENCRYPTION_KEY, dataKeyFile: resolve(DEV_DATA_KEY_FILE) },
  };
  return deepFreeze(config);
}

function isRedisUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return ['redis:', 'rediss:'].includes(parsed.protocol) && parsed.hostname !== '';
  } catch {
    return false;
  }
}

/** Exactly 32 bytes once decoded (base64 or base64url, padded or not): AES-256 takes nothing else. */
export function decodeDataKey(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) return undefined;
  const key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === 32 ? key : undefined;
}

function isDataKey(value: string): boolean {
  return decodeDataKey(value) !== undefined;
}

function describeIssue(variable: string, message: string): string {
  return message.includes(variable) ? message : `${variable}: ${message}`;
}

/**
 * TRUST_PROXY follows Express's `trust proxy`: off by default, so X-Forwarded-For is ignored;
 * a hop count, or addresses/subnets/presets ("loopback", "10.0.0.0/8") of the proxies to trust.
 */
function parseTrustProxy(value: string | undefined, problems: string[]): boolean | number | string {
  if (value === undefined || ['false', 'off', '0', 'no'].includes(value.toLowerCase())) return false;
  if (['true', 'on', 'yes'].includes(value.toLowerCase())) return true;
  if (/^\d+$/.test(value)) return Number(value);
  if (/^[0-9a-zA-Z.:/,\s]+$/.test(value)) return value;
  problems.push('TRUST_PROXY must be off, true, a hop count, or a list of proxy addresses/subnets');
  return false;
}

/**
 * Links in mail must be absolute, and in production must be https: a reset token sent over
 * plain http can be read on the wire. Defaults to the address the server listens on.
 */
function parseAppUrl(value: string | undefined, host: string, port: number, isProduction: boolean, problems: string[]): string {
  if (value === undefined) {
    if (isProduction) problems.push('APP_URL is required in production: the https:// address users reach, used in emailed links');
    const linkHost = ['0.0.0.0', '::'].includes(host) ? 'localhost' : host.includes(':') ? `[${host}]` : host;
    return `http://${linkHost}:${port}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push('APP_URL must be an absolute URL such as https://accounts.example.com');
    return '';
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password || url.search || url.hash) {
    problems.push('APP_URL must be an http(s) URL without credentials, query or fragment');
  } else if (isProduction && url.protocol !== 'https:') {
    problems.push('APP_URL must start with https:// in production');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The password in SMTP_URL never appears in a message. */
function parseSmtpUrl(value: string | undefined, isProduction: boolean, problems: string[]): string | undefined {
  if (value === undefined) {
    if (isProduction) problems.push('SMTP_URL is required in production: verification and password-reset mail must reach real inboxes');
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !['smtp:', 'smtps:'].includes(url.protocol) || !url.hostname) {
    problems.push('SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port]');
  }
  return value;
}

function isMailbox(value: string): boolean {
  if (/[\p{Cc}]/u.test(value)) return false;
  return /^(?:[^<>@]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(value);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
