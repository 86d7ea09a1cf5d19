import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT_DIR } from '../../src/config/env';
import { createDb, Db } from '../../src/db/knex';
import { SEED_PASSWORD } from '../../src/db/seed';
import { createPasswordService } from '../../src/services/password.service';

jest.setTimeout(120_000);

let workDir: string;
beforeAll(() => { workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-seed-')); });
afterAll(() => { fs.rmSync(workDir, { recursive: true, force: true }); });

/** Runs `npm run seed` the way npm does, with only the variables given (no .env of the developer's). */
function seedCli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'src/cli/seed.ts', ...args], {
    cwd: ROOT_DIR,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', LOG_LEVEL: 'silent', BCRYPT_COST: '4', ...env },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const SEEDED = "users.username like 'seed!_%' escape '!'";

async function seededCounts(db: Db) {
  const count = async (table: string, owner: string) => Number((await db(table).join('users', 'users.id', `${table}.${owner}`).whereRaw(SEEDED).count({ n: '*' }).first())?.n);
  return {
    users: Number((await db('users').whereRaw(SEEDED).count({ n: '*' }).first())?.n),
    sessions: await count('refresh_sessions', 'user_id'),
    audit: await count('audit_events', 'user_id'),
    articles: await count('articles', 'author_id'),
  };
}

async function withDb<T>(file: string, use: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb(`sqlite:${file}`, ROOT_DIR);
  try {
    return await use(db);
  } finally {
    await db.destroy();
  }
}

describe('npm run seed', () => {
  const file = () => path.join(workDir, 'seeded.sqlite');
  const env = () => ({ DATABASE_URL: `sqlite:${file()}` });

  test('migrates DATABASE_URL and writes exactly the counts asked for', async () => {
    const result = seedCli(['--users', '120', '--sessions', '300', '--audit', '2500', '--articles', '40'], env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('users: 120 (120 added');
    expect(result.stdout).toContain('audit: 2,500 (2,500 added');
    expect(await withDb(file(), seededCounts)).toEqual({ users: 120, sessions: 300, audit: 2500, articles: 40 });
  });

  test('seeded accounts are shaped like real ones and sign in with the documented password', async () => {
    await withDb(file(), async (db) => {
      const user = await db('users').where({ username: 'seed_0000001' }).first();
      expect(user).toMatchObject({ is_reader: 1, is_admin: 0 });
      expect(user.email).toMatch(/^[a-z.-]+\.1@[a-z.]+$/);
      expect(await createPasswordService(4).verify(SEED_PASSWORD, user.password_hash)).toBe(true);
      const hashes = await db('users').whereRaw(SEEDED).distinct('password_hash');
      expect(hashes).toHaveLength(1);
      expect(await db('users').whereRaw(SEEDED).where({ is_admin: true }).first()).toBeUndefined();
    });
  });

  test('running it again with the same numbers adds nothing; larger numbers add only the difference', async () => {
    const again = seedCli(['--users', '120', '--sessions', '300', '--audit', '2500', '--articles', '40'], env());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('users: 120 (0 added');
    expect(await withDb(file(), seededCounts)).toEqual({ users: 120, sessions: 300, audit: 2500, articles: 40 });
    const more = seedCli(['--users', '150', '--audit', '3000'], env());
    expect(more.code).toBe(0);
    expect(await withDb(file(), seededCounts)).toEqual({ users: 150, sessions: 300, audit: 3000, articles: 40 });
    expect(await withDb(file(), (db) => db('users').where({ username: 'seed_0000150' }).first('id'))).toBeDefined();
  });

  test('--reset deletes what was seeded before, and only that', async () => {
    await withDb(file(), async (db) => {
      await db('users').insert({ public_id: 'c0ffee00-0000-4000-8000-000000000001', username: 'real_person', email: 'real@example.test', password_hash: 'x', token_version: 0, created_at: new Date(), updated_at: new Date() });
      const real = await db('users').where({ username: 'real_person' }).first('id');
      await db('audit_events').insert({ event: 'logged_in', user_id: real.id, created_at: new Date() });
    });
    const result = seedCli(['--reset', '--users', '10'], env());
    expect(result.code).toBe(0);
    expect(await withDb(file(), seededCounts)).toEqual({ users: 10, sessions: 0, audit: 0, articles: 0 });
    await withDb(file(), async (db) => {
      const real = await db('users').where({ username: 'real_person' }).first('id');
      expect(real).toBeDefined();
      expect(await db('audit_events').where({ user_id: real.id }).count({ n: '*' }).first()).toEqual({ n: 1 });
    });
  });

  test('with NODE_ENV=production it refuses, exit 1, before touching any database', () => {
    const target = path.join(workDir, 'production.sqlite');
    const result = seedCli(['--users', '10'], { NODE_ENV: 'production', DATABASE_URL: `sqlite:${target}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('npm run seed refuses to run with NODE_ENV=production');
    expect(fs.existsSync(target)).toBe(false);
  });

  test.each([
    [['--users', 'many'], '--users must be a whole number from 0 to 10,000,000'],
    [['--audit=-5'], '--audit must be a whole number'],
    [['--users', '20000000'], '--users must be a whole number'],
    [['--sessions', '5'], 'seed some with --users first'],
    [['--nope'], 'Unknown option \'--nope\''],
  ])('%j exits 1 with a message saying what is wrong', (args, message) => {
    const result = seedCli(args, { DATABASE_URL: `sqlite:${path.join(workDir, 'bad-args.sqlite')}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });
});
