import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT_DIR } from '../../src/config/env';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { createScratchMysqlDatabase, describeMysql } from '../helpers/mysql';
import { freePort, logLines, send } from '../process/server-process';

const exec = promisify(execFile);
jest.setTimeout(180_000);

const DIST = path.join(ROOT_DIR, 'dist');
const MIGRATION_NAMES = fs.readdirSync(path.join(ROOT_DIR, 'migrations')).filter((file) => file.endsWith('.ts')).sort();

let work: string;
const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'development', LOG_LEVEL: 'info', BCRYPT_COST: '4', JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: path.join(work, 'private.pem'), JWT_PUBLIC_KEY_FILE: path.join(work, 'public.pem') });

/** A compiled command line program, with no TypeScript loader. */
const runDist = (cli: string, env: Record<string, string>, args: string[] = []) =>
  exec(process.execPath, [path.join(DIST, 'src', 'cli', `${cli}.js`), ...args], { cwd: ROOT_DIR, env: { ...baseEnv(), ...env } });

async function recordedNames(databaseUrl: string): Promise<string[]> {
  const db = createDb(databaseUrl, ROOT_DIR);
  try {
    return (await db('knex_migrations').orderBy('name').pluck('name')) as string[];
  } finally {
    await db.destroy();
  }
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-dist-'));
  // A file no source produces: a build must never carry it over (a deleted migration would run again).
  fs.mkdirSync(path.join(DIST, 'migrations'), { recursive: true });
  fs.writeFileSync(path.join(DIST, 'migrations', '20990101000000_deleted_long_ago.js'), 'exports.up = async () => { throw new Error("stale"); };\n');
  await exec(process.execPath, ['scripts/build.js'], { cwd: ROOT_DIR });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('npm run build', () => {
  it('compiles every source and migration into dist/, with dist/server.js as the entry, and nothing stale', () => {
    expect(fs.existsSync(path.join(DIST, 'server.js'))).toBe(true);
    expect(fs.existsSync(path.join(DIST, 'src', 'app.js'))).toBe(true);
    expect(fs.readdirSync(path.join(DIST, 'migrations')).sort()).toEqual(MIGRATION_NAMES.map((name) => name.replace(/\.ts$/, '.js')));
  });

  it('--if-needed does nothing while dist/ is newer than every source', async () => {
    const before = fs.statSync(path.join(DIST, 'server.js')).mtimeMs;
    const { stderr } = await exec(process.execPath, ['scripts/build.js', '--if-needed'], { cwd: ROOT_DIR });
    expect(stderr).toBe('');
    expect(fs.statSync(path.join(DIST, 'server.js')).mtimeMs).toBe(before);
  });
});

describe('node dist/server.js', () => {
  it('serves pages, files and the API with tsx and TypeScript out of reach, and stops cleanly', async () => {
    // Any attempt to load a TypeScript toolchain at run time fails loudly.
    const block = path.join(work, 'block-typescript.cjs');
    fs.writeFileSync(block, [
      "const Module = require('node:module');",
      'const resolve = Module._resolveFilename;',
      "Module._resolveFilename = function (request, ...rest) { if (/^(tsx|typescript|ts-node|esbuild)(\\/|$)/.test(request)) throw new Error('blocked ' + request); return resolve.call(this, request, ...rest); };",
      "process.on('exit', () => { if (require.extensions['.ts']) console.log('a .ts loader was registered'); });",
    ].join('\n'));
    const port = await freePort();
    const child = spawn(process.execPath, ['--require', block, 'dist/server.js'], {
      cwd: ROOT_DIR, env: { ...baseEnv(), PORT: String(port), DATABASE_URL: `sqlite:${path.join(work, 'server.sqlite')}` }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      for (let waited = 0; !output.includes('Gatehouse listening'); waited += 50) {
        if (child.exitCode !== null || waited > 20_000) throw new Error(`did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await send(port, 'GET', '/readyz')).status).toBe(200);
      const page = await send(port, 'GET', '/auth/login');
      expect(page.status).toBe(200);
      expect(page.body).toContain('<form');
      expect((await send(port, 'GET', '/css/app.css')).status).toBe(200);
      const user = { username: 'dist_user', email: 'dist_user@example.test', password: 'correct horse battery staple' };
      expect((await send(port, 'POST', '/api/auth/register', user)).status).toBe(201);
      expect((await send(port, 'POST', '/api/auth/login', { login: user.username, password: user.password })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).not.toMatch(/blocked|\.ts loader/);
    expect(logLines(output).map((line) => line.msg)).toContain('database pool closed; stopped');
    expect(await recordedNames(`sqlite:${path.join(work, 'server.sqlite')}`)).toEqual(MIGRATION_NAMES);
  });
});

interface Scratch { url: string; drop(): Promise<void> }

function migrationNamesSuite(scratch: () => Promise<Scratch>): void {
  it('a database migrated from the TypeScript sources is up to date for the build', async () => {
    const database = await scratch();
    try {
      const db = createDb(database.url, ROOT_DIR);
      expect(await migrateLatest(db, ROOT_DIR)).toEqual(MIGRATION_NAMES);
      await db.destroy();
      const { stdout } = await runDist('migrate', { DATABASE_URL: database.url });
      expect(stdout).toContain('is up to date.');
      expect(await recordedNames(database.url)).toEqual(MIGRATION_NAMES);
    } finally {
      await database.drop();
    }
  });

  it('a database migrated by the build is up to date for the sources and for the knex CLI', async () => {
    const database = await scratch();
    try {
      const { stdout } = await runDist('migrate', { DATABASE_URL: database.url });
      expect(stdout).toMatch(/^Applied \d+ migration\(s\)/);
      expect(await recordedNames(database.url)).toEqual(MIGRATION_NAMES);
      const db = createDb(database.url, ROOT_DIR);
      expect(await migrateLatest(db, ROOT_DIR)).toEqual([]);
      await db.destroy();
      const knexCli = await exec(process.execPath, ['--import', 'tsx', 'node_modules/knex/bin/cli.js', '--knexfile', 'knexfile.ts', 'migrate:status'], {
        cwd: ROOT_DIR, env: { ...baseEnv(), DATABASE_URL: database.url },
      });
      expect(knexCli.stdout).toContain('No Pending Migration files Found.');
    } finally {
      await database.drop();
    }
  });
}

describe('migration names on SQLite, whichever tree ran them', () => {
  let n = 0;
  migrationNamesSuite(async () => ({ url: `sqlite:${path.join(work, `names-${(n += 1)}.sqlite`)}`, drop: async () => undefined }));
});

describeMysql('migration names on MariaDB, whichever tree ran them', () => {
  migrationNamesSuite(createScratchMysqlDatabase);
});

describe('the npm scripts, through npm', () => {
  const npm = (args: string[], env: Record<string, string>) => exec('npm', ['run', '--silent', ...args], { cwd: ROOT_DIR, env: { ...baseEnv(), ...env } });

  it('npm run migrate, keys and user:create run from dist/ after building it if needed', async () => {
    const databaseUrl = `sqlite:${path.join(work, 'npm.sqlite')}`;
    expect((await npm(['migrate'], { DATABASE_URL: databaseUrl })).stdout).toMatch(/^Applied \d+ migration\(s\)/);
    expect((await npm(['keys'], {})).stdout).toContain('Wrote a new ES256 key pair');
    expect((await npm(['user:create', '--', '--help'], {})).stdout).toContain('Usage: npm run user:create');
  });

  it('npm start serves from dist/ with the heap flags, and stops on SIGTERM', async () => {
    const port = await freePort();
    // Its own process group: npm, its shell and the server stop together.
    const child = spawn('npm', ['start'], { cwd: ROOT_DIR, detached: true, env: { ...baseEnv(), PORT: String(port), DATABASE_URL: `sqlite:${path.join(work, 'start.sqlite')}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      for (let waited = 0; !output.includes('Gatehouse listening'); waited += 50) {
        if (child.exitCode !== null || waited > 30_000) throw new Error(`npm start did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(output).toContain('node --max-semi-space-size=8 --heap-growing-percent=10 dist/server.js');
      expect((await send(port, 'GET', '/readyz')).status).toBe(200);
    } finally {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    }
    await exited;
  });
});
