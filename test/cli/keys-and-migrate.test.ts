import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT_DIR } from '../../src/config/env';
import { keysFromPem } from '../../src/config/keys';
import { entryArgs } from '../helpers/entry';

jest.setTimeout(60_000);

let workDir: string;
beforeAll(() => { workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-keys-')); });
afterAll(() => { fs.rmSync(workDir, { recursive: true, force: true }); });

/** Runs a command the way `npm run` does, with only the variables given (no .env of the developer's). */
function run(script: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, entryArgs(script), {
    cwd: ROOT_DIR,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run keys', () => {
  test.each(['RS256', 'ES256'] as const)('writes a fresh %s key pair that the app accepts, private key readable by its owner only', (algorithm) => {
    const privateFile = path.join(workDir, `${algorithm}/private.pem`);
    const publicFile = path.join(workDir, `${algorithm}/public.pem`);
    const result = run('src/cli/keys.ts', { JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY_FILE: privateFile, JWT_PUBLIC_KEY_FILE: publicFile });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const keys = keysFromPem(algorithm, fs.readFileSync(privateFile, 'utf8'), fs.readFileSync(publicFile, 'utf8'));
    expect(result.stdout).toContain(`Wrote a new ${algorithm} key pair (kid ${keys.kid})`);
    expect(fs.statSync(privateFile).mode & 0o077).toBe(0);
  });

  test('running it again replaces the pair: a new kid', () => {
    const env = { JWT_PRIVATE_KEY_FILE: path.join(workDir, 'again/private.pem'), JWT_PUBLIC_KEY_FILE: path.join(workDir, 'again/public.pem') };
    const kid = () => /kid ([\w-]+)/.exec(run('src/cli/keys.ts', env).stdout)?.[1];
    const first = kid();
    expect(first).toBeDefined();
    expect(kid()).not.toBe(first);
  });

  test('with HS256 it prints a fresh secret of at least 32 bytes, even when none is configured yet', () => {
    const secretOf = () => {
      const result = run('src/cli/keys.ts', { JWT_ALGORITHM: 'HS256' });
      expect(result.code).toBe(0);
      return /^JWT_SECRET=(\S+)$/m.exec(result.stdout)?.[1] ?? '';
    };
    const secret = secretOf();
    expect(Buffer.byteLength(secret)).toBeGreaterThanOrEqual(32);
    expect(secretOf()).not.toBe(secret);
  });
});

describe('npm run migrate', () => {
  test('applies every migration to DATABASE_URL once, then says it is up to date', () => {
    const env = { DATABASE_URL: `sqlite:${path.join(workDir, 'migrate.sqlite')}` };
    const first = run('src/cli/migrate.ts', env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Applied \d+ migration\(s\) to sqlite:/);
    const migrations = fs.readdirSync(path.join(ROOT_DIR, 'migrations')).filter((file) => file.endsWith('.ts'));
    for (const file of migrations) expect(first.stdout).toContain(file);
    const second = run('src/cli/migrate.ts', env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('is up to date.');
  });

  test('an invalid configuration exits 1 with one message per problem and applies nothing', () => {
    const result = run('src/cli/migrate.ts', { DATABASE_URL: 'postgres://nope', BCRYPT_COST: 'many' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL must be sqlite:PATH');
    expect(result.stderr).toContain('BCRYPT_COST');
  });
});
