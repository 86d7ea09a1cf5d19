import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import jwt from 'jsonwebtoken';
import type { BenchOptions } from './args';
import { COOKIES } from './client';
import type { Workspace } from './fixture';
import type { LoadResult } from './load';
import { measureSides } from './measure';
import { loaderArgs, processCpuMs, ROOT, ServerProcess, startServer } from './processes';
import { problemsOf, Row } from './report';
import { medianOf } from './load';
import { LOGIN_COUNT_SHARE } from '../targets';

/**
 * The baselines Gatehouse is read against: (a) the ceiling, bare Express; (b) the floor of an
 * authenticated page, cookie + JWT verify + EJS, run like Gatehouse under tsx; (p) the same floor
 * written as plain JavaScript and run by `node` alone; (c) raw bcrypt; (r) the bare refresh
 * rotation, per database. Each runs in a process of its own.
 */
export function baselineRow(label: string, engine: Row['engine'], reps: LoadResult[], peakRssMb: number, dataset?: Row['dataset'], counters?: Record<string, number>): Row {
  return { label, engine, dataset, reps, median: medianOf(reps), peakRssMb, notes: problemsOf(reps, counters) };
}

/** An access token shaped like Gatehouse's, for the floors (which have no database). */
function floorCookie(ws: Workspace): string {
  const key = crypto.createPrivateKey(fs.readFileSync(ws.privateKeyFile, 'utf8'));
  const token = jwt.sign({
    sub: crypto.randomUUID(), type: 'access', username: 'bench_user', is_reader: true, is_author: false, is_admin: false,
    sid: crypto.randomUUID(), ver: 0, jti: crypto.randomUUID(),
  }, key, { algorithm: 'RS256', expiresIn: '1h', issuer: 'gatehouse', audience: 'gatehouse', keyid: 'bench' });
  // The same Cookie header shape as the Gatehouse /me requests: access token plus a CSRF cookie.
  return `${COOKIES.access}=${token}; ${COOKIES.csrf}=${crypto.randomBytes(64).toString('hex')}.${crypto.randomBytes(32).toString('hex')}`;
}

export function httpBaselines(ws: Workspace) {
  const cookie = floorCookie(ws);
  return [
    { key: 'hello', label: '(a) ceiling: Express hello', script: 'bench/baselines/hello.ts', plainNode: false, request: { path: '/' } },
    { key: 'floor', label: '(b) floor: cookie + JWT verify + EJS', script: 'bench/baselines/jwt-ejs.ts', plainNode: false, request: { path: '/me', headers: { cookie } } },
    { key: 'plain', label: '(p) plain-JS floor: node, no loader', script: 'bench/baselines/plain-floor/server.js', plainNode: true, request: { path: '/me', headers: { cookie } } },
  ] as const;
}

export type HttpBaseline = ReturnType<typeof httpBaselines>[number];

export function startBaseline(ws: Workspace, opts: BenchOptions, baseline: HttpBaseline, logName: string = baseline.key): Promise<ServerProcess> {
  const env = { NODE_ENV: 'production', BENCH_PUBLIC_KEY_FILE: ws.publicKeyFile, BENCH_COOKIE_NAME: COOKIES.access };
  return startServer(baseline.key, baseline.script, env, ws.log(logName), { loader: opts.loader, cpuProfileDir: opts.cpuProfileDir, plainNode: baseline.plainNode });
}

export async function measureHttpBaselines(ws: Workspace, opts: BenchOptions, rows: Row[]): Promise<void> {
  for (const baseline of httpBaselines(ws)) {
    if (!opts.only.has(baseline.key)) continue;
    const server = await startBaseline(ws, opts, baseline);
    try {
      const [measured] = await measureSides([{ server, prepare: async () => baseline.request }], opts, {});
      rows.push(baselineRow(baseline.label, 'baseline', measured!.reps, server.peakRssMb()));
    } finally {
      await server.stop();
    }
  }
}

/** How long a baseline script runs each repetition: seconds after a warm-up, or with --requests a count and no warm-up. */
function scriptSpan(opts: BenchOptions, share = 1): Record<string, string> {
  const span = { BENCH_WARMUP_S: String(opts.requests ? 0 : Math.min(opts.warmupS, 2)), BENCH_REPS: String(opts.reps) };
  return opts.requests ? { ...span, BENCH_REQUESTS: String(Math.max(1, Math.round(opts.requests * share))) } : { ...span, BENCH_DURATION_S: String(opts.durationS) };
}

/** Runs a baseline script to completion; it prints one JSON line per repetition (and others). */
async function runScript(args: string[], env: Record<string, string>): Promise<Array<{ rep?: LoadResult; peakRssMb?: number; warmup?: number }>> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${args[args.length - 1]} exited with ${code}`);
  return output.trim().split('\n').map((line) => JSON.parse(line));
}

/** Baseline (c) runs in a child process of its own with Gatehouse's thread pool size. */
export async function bcryptBaseline(opts: BenchOptions, rows: Row[]): Promise<void> {
  const env: Record<string, string> = {
    BCRYPT_COST: String(opts.bcryptCost),
    BENCH_CONNECTIONS: String(opts.connections),
    ...scriptSpan(opts, LOGIN_COUNT_SHARE),
  };
  if (opts.threadpool) env.UV_THREADPOOL_SIZE = opts.threadpool;
  const lines = await runScript([...loaderArgs(opts.loader), 'bench/baselines/bcrypt.ts'], env);
  const reps = lines.flatMap((line) => (line.rep ? [line.rep] : []));
  rows.push(baselineRow(`(c) raw bcrypt.compare, cost ${opts.bcryptCost}`, 'baseline', reps, lines.find((l) => l.peakRssMb !== undefined)?.peakRssMb ?? NaN));
}

export const REFRESH_FLOOR_LABEL = '(r) bare refresh floor: Knex rotation + 1 RS256 signature, no HTTP';

/**
 * Baseline (r) on one database: plain `node`, 10 rotation chains at once (the MySQL pool's
 * size; SQLite's one connection takes them in turn). With `dbPid`, the database server's CPU
 * per rotation is read over the whole run, warm-up included.
 */
export async function refreshFloor(ws: Workspace, opts: BenchOptions, engine: Row['engine'], dataset: Row['dataset'], databaseUrl: string, dbPid?: number): Promise<Row> {
  const dbBefore = dbPid ? processCpuMs(dbPid) : undefined;
  const lines = await runScript(['bench/baselines/refresh-floor.js'], {
    BENCH_DATABASE_URL: databaseUrl,
    BENCH_PRIVATE_KEY_FILE: ws.privateKeyFile,
    BENCH_CONCURRENCY: '10',
    ...scriptSpan(opts),
  });
  const reps = lines.flatMap((line) => (line.rep ? [line.rep] : []));
  if (dbPid && dbBefore !== undefined) {
    const rotations = reps.reduce((sum, rep) => sum + rep.requests, 0) + (lines.find((l) => l.warmup !== undefined)?.warmup ?? 0);
    const dbUs = ((processCpuMs(dbPid) - dbBefore) * 1000) / Math.max(rotations, 1);
    for (const rep of reps) rep.dbCpuUsPerReq = dbUs;
  }
  return baselineRow(REFRESH_FLOOR_LABEL, engine, reps, lines.find((l) => l.peakRssMb !== undefined)?.peakRssMb ?? NaN, dataset);
}
