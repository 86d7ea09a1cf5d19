import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/env';
import { parseDuration } from '../../src/config/duration';
import { generateKeyPairPem } from '../../src/config/keys';

/** Production also needs a DATA_ENCRYPTION_KEY: 32 bytes, base64. */
const DATA_KEY = Buffer.alloc(32, 1).toString('base64');

const LONG_SECRET = 'a'.repeat(32);
const emptyRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-config-'));
const rootWithKeys = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-config-keys-'));
fs.mkdirSync(path.join(rootWithKeys, 'keys'));
const pems = generateKeyPairPem('ES256');
fs.writeFileSync(path.join(rootWithKeys, 'keys', 'private.pem'), pems.privatePem);
fs.writeFileSync(path.join(rootWithKeys, 'keys', 'public.pem'), pems.publicPem);

afterAll(() => {
  fs.rmSync(emptyRoot, { recursive: true, force: true });
  fs.rmSync(rootWithKeys, { recursive: true, force: true });
});

/** The problems a configuration is refused with; fails the test when it is accepted. */
function problemsOf(env: Record<string, string>, rootDir = emptyRoot): string[] {
  try {
    loadConfig(env, rootDir);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`configuration was accepted: ${JSON.stringify(env)}`);
}

/** What production needs besides the settings under test (mail and data-key settings belong to other issues). */
const PROD_BASE = { NODE_ENV: 'production', APP_URL: 'https://accounts.example.test', SMTP_URL: 'smtp://mail.example.test:587', DATA_ENCRYPTION_KEY: DATA_KEY };
const PRODUCTION = { ...PROD_BASE, JWT_ALGORITHM: 'ES256' };

describe('loadConfig defaults', () => {
  it('with an empty environment, gives every default in SPEC.md', () => {
    const config = loadConfig({}, emptyRoot);
    expect(config.env).toBe('development');
    expect(config.server).toEqual({ host: '127.0.0.1', port: 3000, workers: 1, drainSeconds: 0 });
    expect(config.database.url).toBe('sqlite:./data/gatehouse.sqlite');
    expect(config.jwt).toMatchObject({
      algorithm: 'RS256',
      privateKeyFile: path.join(emptyRoot, 'keys', 'private.pem'),
      publicKeyFile: path.join(emptyRoot, 'keys', 'public.pem'),
      secret: undefined,
      issuer: 'gatehouse',
      audience: 'gatehouse',
      accessTtlSeconds: 15 * 60,
      refreshTtlSeconds: 7 * 86400,
      reuseGraceSeconds: 30,
    });
    expect(config.passwords.bcryptCost).toBe(12);
    expect(config.cookies).toEqual({ secure: false, accessName: 'access_token', refreshName: 'refresh_token' });
    expect(config.trustProxy).toBe(false);
    expect(config.rateLimit).toMatchObject({ loginPerAccount: 10, authPerIp: 100 });
  });

  it('treats a blank variable as unset', () => {
    expect(loadConfig({ JWT_ALGORITHM: '', BCRYPT_COST: '', ACCESS_TOKEN_TTL: '' }, emptyRoot).jwt.accessTtlSeconds).toBe(900);
  });

  it('reads only the environment object it is given, never process.env', () => {
    process.env.JWT_ALGORITHM = 'HS256';
    try {
      expect(loadConfig({}, emptyRoot).jwt.algorithm).toBe('RS256');
    } finally {
      delete process.env.JWT_ALGORITHM;
    }
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({}, emptyRoot);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
    expect(Object.isFrozen(config.cookies)).toBe(true);
    expect(() => { (config.jwt as { algorithm: string }).algorithm = 'HS256'; }).toThrow(TypeError);
    expect(config.jwt.algorithm).toBe('RS256');
  });
});

describe('loadConfig problems', () => {
  it.each([
    ['JWT_ALGORITHM', 'HS512'],
    ['NODE_ENV', 'staging'],
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['BCRYPT_COST', '3'],
    ['BCRYPT_COST', 'twelve'],
    ['COOKIE_SECURE', 'yes'],
    ['DATABASE_URL', 'postgres://localhost/db'],
    ['ACCESS_TOKEN_TTL', '15 minutes'],
    ['REFRESH_TOKEN_TTL', '1w'],
    ['REFRESH_REUSE_GRACE', '-5s'],
    ['RATE_LIMIT_LOGIN_PER_ACCOUNT', '0'],
    ['RATE_LIMIT_AUTH_PER_IP', 'many'],
    ['TRUST_PROXY', 'proxy; rm -rf /'],
    ['WEB_CONCURRENCY', '0'],
    ['WEB_CONCURRENCY', 'four'],
    ['WEB_CONCURRENCY', '2'],
    ['MAIL_RETRY_FOR', '10s'],
    ['MAIL_RETRY_FOR', 'a while'],
    ['SHUTDOWN_DRAIN_DELAY', 'a while'],
    ['SHUTDOWN_DRAIN_DELAY', '2m'],
    ['METRICS_TOKEN', 'too-short'],
    ['SESSION_IDLE_TTL', 'all day'],
    ['SESSION_IDLE_TTL', '30s'],
    ['AUDIT_RETENTION', 'forever'],
    ['AUDIT_RETENTION', '12h'],
    ['METRICS_TOKEN', 'a token with spaces in it, long enough'],
  ])('refuses %s=%s with one message naming the variable', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
  });

  it('reports every problem together, whichever stage finds it', () => {
    const problems = problemsOf({ PORT: 'eighty', BCRYPT_COST: '3', ACCESS_TOKEN_TTL: 'soon', JWT_ALGORITHM: 'HS256', JWT_SECRET: 'short' });
    expect(problems).toHaveLength(4);
    for (const name of ['PORT', 'BCRYPT_COST', 'ACCESS_TOKEN_TTL', 'JWT_SECRET']) {
      expect(problems.filter((problem) => problem.includes(name))).toHaveLength(1);
    }
  });

  it('puts every problem in the error message, one per line', () => {
    expect(() => loadConfig({ PORT: 'x', JWT_ALGORITHM: 'x' }, emptyRoot)).toThrow(/Invalid configuration:\n {2}- .*PORT.*\n {2}- .*JWT_ALGORITHM/);
  });

  it('accepts several workers with REDIS_URL, and refuses them on an in-memory database', () => {
    expect(loadConfig({ WEB_CONCURRENCY: '4', REDIS_URL: 'redis://127.0.0.1:6379' }, emptyRoot).server.workers).toBe(4);
    expect(problemsOf({ WEB_CONCURRENCY: '2', REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'sqlite::memory:' }))
      .toEqual([expect.stringMatching(/^WEB_CONCURRENCY above 1 cannot use sqlite::memory:/)]);
    expect(problemsOf({ WEB_CONCURRENCY: '2' })).toEqual([expect.stringMatching(/^WEB_CONCURRENCY above 1 needs REDIS_URL/)]);
  });

  it('refuses an access token lifetime longer than the refresh lifetime', () => {
    expect(problemsOf({ ACCESS_TOKEN_TTL: '8d' })).toEqual([expect.stringMatching(/ACCESS_TOKEN_TTL.*REFRESH_TOKEN_TTL/)]);
  });
});

describe('the HS256 secret', () => {
  it.each(['development', 'test', 'production'])('under 32 bytes is refused in %s', (nodeEnv) => {
    const problems = problemsOf({ ...PROD_BASE, NODE_ENV: nodeEnv, JWT_ALGORITHM: 'HS256', JWT_SECRET: 'x'.repeat(31) });
    expect(problems).toEqual([expect.stringContaining('JWT_SECRET must be at least 32 bytes')]);
  });

  it.each(['development', 'production'])('missing is refused in %s', (nodeEnv) => {
    expect(problemsOf({ ...PROD_BASE, NODE_ENV: nodeEnv, JWT_ALGORITHM: 'HS256' })).toEqual([expect.stringContaining('JWT_SECRET is required')]);
  });

  it('is measured in bytes of the raw string: 16 two-byte characters pass, 31 bytes do not', () => {
    expect(loadConfig({ JWT_ALGORITHM: 'HS256', JWT_SECRET: 'é'.repeat(16) }, emptyRoot).jwt.secret).toBe('é'.repeat(16));
    expect(problemsOf({ JWT_ALGORITHM: 'HS256', JWT_SECRET: `${'é'.repeat(15)}a` })).toHaveLength(1);
  });
});

describe('the previous HS256 secret (JWT_SECRET_PREVIOUS)', () => {
  const hs256 = { JWT_ALGORITHM: 'HS256', JWT_SECRET: LONG_SECRET };

  it('is optional, and kept when it is at least 32 bytes and not JWT_SECRET', () => {
    expect(loadConfig(hs256, emptyRoot).jwt.previousSecret).toBeUndefined();
    expect(loadConfig({ ...hs256, JWT_SECRET_PREVIOUS: 'b'.repeat(32) }, emptyRoot).jwt.previousSecret).toBe('b'.repeat(32));
  });

  it.each(['development', 'production'])('under 32 bytes is refused in %s, like JWT_SECRET', (nodeEnv) => {
    expect(problemsOf({ ...PROD_BASE, ...hs256, NODE_ENV: nodeEnv, JWT_SECRET_PREVIOUS: 'b'.repeat(31) }))
      .toEqual(['JWT_SECRET_PREVIOUS must be at least 32 bytes long']);
  });

  it('equal to JWT_SECRET is refused: it would be a second name for the same key', () => {
    expect(problemsOf({ ...hs256, JWT_SECRET_PREVIOUS: LONG_SECRET })).toEqual([expect.stringContaining('JWT_SECRET_PREVIOUS must differ from JWT_SECRET')]);
  });

  it('is reported together with a problem of JWT_SECRET', () => {
    expect(problemsOf({ JWT_ALGORITHM: 'HS256', JWT_SECRET: 'short', JWT_SECRET_PREVIOUS: 'short too' })).toEqual([
      'JWT_SECRET must be at least 32 bytes long', 'JWT_SECRET_PREVIOUS must be at least 32 bytes long',
    ]);
  });

  it('means nothing under RS256 or ES256, whose previous keys are files', () => {
    expect(loadConfig({ JWT_SECRET_PREVIOUS: 'x' }, emptyRoot).jwt.previousSecret).toBeUndefined();
  });
});

describe('key rotation settings', () => {
  it('default to previous/ next to the public key and a reload every 10 s', () => {
    const config = loadConfig({ JWT_PUBLIC_KEY_FILE: 'elsewhere/public.pem' }, emptyRoot);
    expect(config.jwt.previousKeysDir).toBe(path.join(emptyRoot, 'elsewhere', 'previous'));
    expect(config.jwt.reloadIntervalSeconds).toBe(10);
  });

  it('take JWT_PREVIOUS_KEYS_DIR relative to the project and JWT_KEYS_RELOAD_INTERVAL as a duration', () => {
    const config = loadConfig({ JWT_PREVIOUS_KEYS_DIR: 'old-keys', JWT_KEYS_RELOAD_INTERVAL: '2m' }, emptyRoot);
    expect(config.jwt.previousKeysDir).toBe(path.join(emptyRoot, 'old-keys'));
    expect(config.jwt.reloadIntervalSeconds).toBe(120);
  });

  it.each(['0', 'often', '-5s'])('refuse JWT_KEYS_RELOAD_INTERVAL=%s with a message naming it', (value) => {
    expect(problemsOf({ JWT_KEYS_RELOAD_INTERVAL: value })).toEqual([expect.stringMatching(/^JWT_KEYS_RELOAD_INTERVAL must be/)]);
  });
});

describe('production refusals', () => {
  it('accepts a complete production configuration, with secure cookies by default', () => {
    const config = loadConfig(PRODUCTION, rootWithKeys);
    expect(config.isProduction).toBe(true);
    expect(config.cookies.secure).toBe(true);
  });

  it('refuses COOKIE_SECURE=false', () => {
    expect(problemsOf({ ...PRODUCTION, COOKIE_SECURE: 'false' }, rootWithKeys)).toEqual([expect.stringContaining('COOKIE_SECURE')]);
  });

  it('refuses missing key files, naming each variable', () => {
    const problems = problemsOf(PRODUCTION, emptyRoot);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('JWT_PRIVATE_KEY_FILE');
    expect(problems[1]).toContain('JWT_PUBLIC_KEY_FILE');
  });

  it('does not ask for key files under HS256, but does ask for a strong secret', () => {
    expect(loadConfig({ ...PROD_BASE, JWT_ALGORITHM: 'HS256', JWT_SECRET: LONG_SECRET }, emptyRoot).jwt.algorithm).toBe('HS256');
    expect(problemsOf({ ...PROD_BASE, JWT_ALGORITHM: 'HS256', JWT_SECRET: 'weak' })).toHaveLength(1);
  });

  it('refuses BCRYPT_COST under 10 and accepts 10', () => {
    expect(problemsOf({ ...PRODUCTION, BCRYPT_COST: '9' }, rootWithKeys)).toEqual([expect.stringContaining('BCRYPT_COST')]);
    expect(loadConfig({ ...PRODUCTION, BCRYPT_COST: '10' }, rootWithKeys).passwords.bcryptCost).toBe(10);
    expect(loadConfig({ BCRYPT_COST: '4' }, emptyRoot).passwords.bcryptCost).toBe(4);
  });

  it('reports all production problems together', () => {
    const problems = problemsOf({ ...PROD_BASE, JWT_ALGORITHM: 'HS256', JWT_SECRET: 'weak', COOKIE_SECURE: 'false', BCRYPT_COST: '8' });
    expect(problems).toHaveLength(3);
  });
});

describe('durations', () => {
  it.each([['90', 90], ['30s', 30], ['15m', 900], ['12h', 43200], ['7d', 604800], [' 5m ', 300]])('parses %j as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'm', '1w', '1.5h', '-1s', '15 minutes', '1e3'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('feeds the token lifetimes and the reuse grace', () => {
    const config = loadConfig({ ACCESS_TOKEN_TTL: '5m', REFRESH_TOKEN_TTL: '1d', REFRESH_REUSE_GRACE: '0' }, emptyRoot);
    expect(config.jwt).toMatchObject({ accessTtlSeconds: 300, refreshTtlSeconds: 86400, reuseGraceSeconds: 0 });
  });

  it('reads METRICS_TOKEN, unset by default', () => {
    expect(loadConfig({}, emptyRoot).metrics.token).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'abcdefghijklmnopqrstuvwx0123' }, emptyRoot).metrics.token).toBe('abcdefghijklmnopqrstuvwx0123');
  });

  it('reads SESSION_IDLE_TTL (12h) and AUDIT_RETENTION (180d) by default, and as durations when set', () => {
    const defaults = loadConfig({}, emptyRoot);
    expect(defaults.jwt.idleTtlSeconds).toBe(12 * 3600);
    expect(defaults.audit.retentionSeconds).toBe(180 * 86400);
    const set = loadConfig({ SESSION_IDLE_TTL: '30m', AUDIT_RETENTION: '30d' }, emptyRoot);
    expect(set.jwt.idleTtlSeconds).toBe(1800);
    expect(set.audit.retentionSeconds).toBe(30 * 86400);
  });

  it('reads SHUTDOWN_DRAIN_DELAY as the seconds /readyz drains before the server closes', () => {
    expect(loadConfig({ SHUTDOWN_DRAIN_DELAY: '15s' }, emptyRoot).server.drainSeconds).toBe(15);
  });

  it('refuses a zero access token lifetime', () => {
    expect(problemsOf({ ACCESS_TOKEN_TTL: '0s' })).toEqual([expect.stringContaining('ACCESS_TOKEN_TTL must be at least 1s')]);
  });
});

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, false], ['false', false], ['off', false], ['0', false], ['no', false],
    ['true', true], ['TRUE', true], ['1', 1], ['2', 2],
    ['loopback', 'loopback'], ['10.0.0.0/8, 127.0.0.1', '10.0.0.0/8, 127.0.0.1'], ['::1', '::1'],
  ])('%j means %j', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { TRUST_PROXY: value }, emptyRoot).trustProxy).toEqual(expected);
  });
});

describe('cookie names', () => {
  it('carry the __Host- prefix when cookies are secure, in any environment', () => {
    expect(loadConfig({ COOKIE_SECURE: 'true' }, emptyRoot).cookies).toEqual({
      secure: true, accessName: '__Host-access_token', refreshName: '__Host-refresh_token',
    });
    expect(loadConfig(PRODUCTION, rootWithKeys).cookies.accessName).toBe('__Host-access_token');
  });

  it('are plain when cookies are not secure', () => {
    expect(loadConfig({ NODE_ENV: 'test', COOKIE_SECURE: 'false' }, emptyRoot).cookies.refreshName).toBe('refresh_token');
  });
});

describe('SQLITE_SYNCHRONOUS', () => {
  it('is normal unless set to full, and refuses anything else with one message naming it', () => {
    expect(loadConfig({}, emptyRoot).database.sqliteSynchronous).toBe('normal');
    expect(loadConfig({ SQLITE_SYNCHRONOUS: 'full' }, emptyRoot).database.sqliteSynchronous).toBe('full');
    expect(problemsOf({ SQLITE_SYNCHRONOUS: 'off' })).toEqual(['SQLITE_SYNCHRONOUS must be normal or full']);
  });
});
