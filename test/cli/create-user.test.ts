import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { ROOT_DIR } from '../../src/config/env';
import { createDb, Db } from '../../src/db/knex';
import { makeTestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { entryArgs } from '../helpers/entry';

/**
 * `npm run user:create` as an operator runs it: the real command in a child process, with
 * the password piped on stdin, against a database named by DATABASE_URL.
 */
jest.setTimeout(120_000);

const PASSWORD = 'a long and unusual passphrase';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let workDir: string;
beforeAll(() => { workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-')); });
afterAll(() => { fs.rmSync(workDir, { recursive: true, force: true }); });

function createUserCommand(databaseUrl: string, args: string[], stdin: string | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entryArgs('src/cli/create-user.ts'), ...args], {
      cwd: ROOT_DIR,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'test',
        DATABASE_URL: databaseUrl,
        BCRYPT_COST: '4',
        JWT_ALGORITHM: 'HS256',
        JWT_SECRET: 'cli-test-secret-that-is-long-enough-0123456789',
        MAIL_OUTBOX_DIR: path.join(workDir, 'outbox'),
        LOG_LEVEL: 'silent',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr: stderr.replace(/^npm warn .*\n/gm, '') }));
    if (stdin !== null) child.stdin.write(stdin);
    child.stdin.end();
  });
}

function defineCliFlows(databaseUrl: () => string) {
  let db: Db;
  beforeAll(() => { db = createDb(databaseUrl(), ROOT_DIR); });
  afterAll(async () => { await db.destroy(); });

  const run = (args: string[], stdin: string | null = `${PASSWORD}\n`) => createUserCommand(databaseUrl(), args, stdin);
  const userRow = (username: string) => db('users').where({ username }).first();

  test('creates a reader on a fresh database (migrating it first), with a password that signs in', async () => {
    const result = await run(['--username', 'first_reader', '--email', 'First.Reader@Example.com', '--first-name', 'Fay']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Created first_reader <first.reader@example.com> with roles: reader \(id [0-9a-f-]{36}\)\.\n$/);
    const row = await userRow('first_reader');
    expect(row).toMatchObject({ email: 'first.reader@example.com', first_name: 'Fay' });
    expect([row.is_reader, row.is_author, row.is_admin, row.is_verified].map(Boolean)).toEqual([true, false, false, true]);
    expect(row.password_hash).not.toContain(PASSWORD);
    // The address is vouched for on the server: no verification link is mailed, none is stored.
    expect(await db('account_tokens').where({ user_id: row.id }).count({ n: '*' }).first()).toMatchObject({ n: 0 });

    const t = await makeTestApp({ env: { DATABASE_URL: databaseUrl() } });
    try {
      const login = await request(t.app).post('/api/auth/login').send({ login: 'first_reader', password: PASSWORD });
      expect(login.status).toBe(200);
    } finally {
      await t.close();
    }
  });

  test('--admin creates an admin who can open /admin, and the roles_changed event names no acting admin', async () => {
    const result = await run(['--username', 'root_admin', '--email', 'root@example.com', '--admin']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('with roles: reader, admin');
    const row = await userRow('root_admin');
    expect(Boolean(row.is_admin)).toBe(true);
    const event = await db('audit_events').where({ user_id: row.id, event: 'roles_changed' }).first();
    expect(event.actor_id).toBeNull();
    expect(JSON.parse(event.details)).toMatchObject({ to: ['reader', 'admin'], via: 'command line' });

    const t = await makeTestApp({ env: { DATABASE_URL: databaseUrl() } });
    try {
      const { body } = await request(t.app).post('/api/auth/login').send({ login: 'root_admin', password: PASSWORD });
      const res = await request(t.app).get('/api/admin/users').set('Authorization', `Bearer ${body.access_token}`);
      expect(res.status).toBe(200);
    } finally {
      await t.close();
    }
  });

  test('--author grants the author role', async () => {
    const result = await run(['--username', 'pen_holder', '--email', 'pen@example.com', '--author']);
    expect(result.code).toBe(0);
    expect(Boolean((await userRow('pen_holder')).is_author)).toBe(true);
  });

  test('a taken username (in any letter case) or email exits 1 with the reason, and creates nothing', async () => {
    const before = await db('users').count({ n: '*' }).first();
    const result = await run(['--username', 'ROOT_ADMIN', '--email', 'ROOT@example.com']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('username: That username is already taken.');
    expect(result.stderr).toContain('email: An account with that email address already exists.');
    expect(result.stdout).toBe('');
    expect(await db('users').count({ n: '*' }).first()).toEqual(before);
  });

  test.each([
    ['too short', 'short\n', 'Password must be at least 8 characters.'],
    ['a common password', 'password123\n', 'This password is on a list of commonly used passwords'],
    ['the username itself', 'weak_user_name\n', 'Password must not be your username or email address.'],
    ['nothing at all', '', 'No password on stdin.'],
  ])('a password that is %s exits 1 with the rule, and creates nothing', async (_name, stdin, message) => {
    const result = await run(['--username', 'weak_user_name', '--email', 'weak@example.com'], stdin);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(await userRow('weak_user_name')).toBeUndefined();
  });

  test.each([
    [['--email', 'x@example.com'], 'Missing --username.'],
    [['--username', 'someone'], 'Missing --email.'],
    [[], 'Missing --username and --email.'],
    [['--username', 'someone', '--email', 'x@example.com', '--root'], "Unknown option '--root'"],
    [['--username', 'no spaces', '--email', 'not-an-address'], 'username: Username must be 3 to 32 characters'],
  ])('bad arguments %j exit 1 with the problem and the usage, creating nothing', async (args, message) => {
    const before = await db('users').count({ n: '*' }).first();
    const result = await run(args as string[]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(await db('users').count({ n: '*' }).first()).toEqual(before);
  });

  test('--help prints the usage and exits 0', async () => {
    const result = await run(['--help'], null);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: npm run user:create -- --username NAME --email EMAIL');
  });
}

/** util-linux `script` gives the command a real terminal; without it the terminal test is skipped. */
const hasScript = fs.existsSync('/usr/bin/script');

/** Runs the command on a pseudo-terminal, answering each prompt as it appears, as a person types. */
function createUserOnTerminal(databaseUrl: string, args: string[], answers: string[]): Promise<Run> {
  const command = [process.execPath, ...entryArgs('src/cli/create-user.ts'), ...args].map((part) => `'${part.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT_DIR,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', DATABASE_URL: databaseUrl, BCRYPT_COST: '4', JWT_ALGORITHM: 'HS256',
        JWT_SECRET: 'cli-test-secret-that-is-long-enough-0123456789', MAIL_OUTBOX_DIR: path.join(workDir, 'outbox'), LOG_LEVEL: 'silent', TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const pending = [...answers];
    child.stdout.on('data', (chunk) => {
      output += chunk;
      // Answer only once the prompt is on screen: the terminal is in no-echo mode by then.
      const prompts = (output.match(/Password( \(again\))?: /g) ?? []).length;
      if (prompts > answers.length - pending.length && pending.length > 0) child.stdin.write(`${pending.shift()}\r`);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: output, stderr: '' }));
  });
}

describe('npm run user:create on SQLite', () => {
  defineCliFlows(() => `sqlite:${path.join(workDir, 'gatehouse.sqlite')}`);

  (hasScript ? test : test.skip)('on a terminal it asks twice and never shows what is typed', async () => {
    const url = `sqlite:${path.join(workDir, 'terminal.sqlite')}`;
    const result = await createUserOnTerminal(url, ['--username', 'typed_admin', '--email', 'typed@example.com', '--admin'], [PASSWORD, PASSWORD]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Password: ');
    expect(result.stdout).toContain('Password (again): ');
    expect(result.stdout).toContain('Created typed_admin');
    expect(result.stdout).not.toContain(PASSWORD);
    expect(result.stdout).not.toContain('passphrase');

    const mismatch = await createUserOnTerminal(url, ['--username', 'typo_admin', '--email', 'typo@example.com'], [PASSWORD, `${PASSWORD}!`]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toContain('The two passwords do not match.');
  });

  test('a DATABASE_URL the app would refuse is refused the same way', async () => {
    const result = await createUserCommand('postgres://nope', ['--username', 'x_user', '--email', 'x@example.com'], `${PASSWORD}\n`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL must be sqlite:PATH, sqlite::memory: or mysql://user:pass@host:port/db');
  });
});

describeMysql('npm run user:create on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => { scratch = await createScratchMysqlDatabase(); });
  afterAll(async () => { await scratch.drop(); });
  defineCliFlows(() => scratch.url);
});
