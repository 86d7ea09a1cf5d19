import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { bcryptSlots, libuvPoolSize } from '../src/lib/threadpool';
import { BenchOptions, parseBenchArgs } from './lib/args';
import { COOKIES } from './lib/client';
import { createScratchMysql, createWorkspace, gatehouseEnv, seedDatabase, Workspace } from './lib/fixture';
import { cpuBurst, LoadRequest, LoadResult, medianOf, runLoad } from './lib/load';
import { loaderArgs, ROOT, ServerProcess, startScriptFlags, startServer } from './lib/processes';
import { describeCode, formatMarkdown, formatTable, problemsOf, Row, writeResults } from './lib/report';
import { computeRatios, EngineReport, formatSummary } from './lib/summary';
import { GATEHOUSE_TARGETS, GatehouseTarget } from './targets';

/**
 * npm run bench: Gatehouse against its own ceiling (bare Express) and floor (cookie + JWT
 * verify + EJS) and against raw bcrypt, each server in its own process on 127.0.0.1, every
 * target warmed up, then measured `reps` times; the table shows medians. Nothing here is a
 * test: the machine is shared and noisy, so read the ratios, not the absolute numbers.
 */
interface Measured {
  reps: LoadResult[];
  /** The probe's latencies, and the target's own figures in those same runs. */
  probe: LoadResult[];
  probedReps: LoadResult[];
  counters: Record<string, number>;
}

/**
 * Warm-up, then `reps` runs of the target alone. A target with a latency probe (the login
 * storm) then runs `reps` more times with the probe alongside: its throughput is read from the
 * runs without it, as baseline (c) has no second load generator competing for the two cores.
 */
async function measure(server: ServerProcess, opts: BenchOptions, prepare: () => Promise<LoadRequest & { counters?: () => Record<string, number> }>, target: Partial<GatehouseTarget> = {}): Promise<Measured> {
  const run = async (durationS: number, probed: boolean) => {
    const request = await prepare();
    const cpuBefore = server.cpuMs();
    const main = runLoad({ port: server.port, request, connections: opts.connections, durationS, timeoutS: target.timeoutS });
    const probe = probed && target.probe ? runProbe(opts, server.port, target.probe.path, durationS) : undefined;
    const [result, probeResult] = await Promise.all([main, probe]);
    result.cpuUsPerReq = ((server.cpuMs() - cpuBefore) * 1000) / Math.max(result.requests, 1);
    await server.settle();
    return { result, probeResult, counters: request.counters?.() ?? {} };
  };
  if (opts.warmupS > 0) await run(opts.warmupS, false);
  const measured: Measured = { reps: [], probe: [], probedReps: [], counters: {} };
  for (let i = 0; i < opts.reps; i += 1) {
    const { result, counters } = await run(opts.durationS, false);
    measured.reps.push(result);
    for (const [name, value] of Object.entries(counters)) measured.counters[name] = (measured.counters[name] ?? 0) + value;
  }
  for (let i = 0; target.probe && i < opts.reps; i += 1) {
    const { result, probeResult } = await run(opts.durationS, true);
    measured.probedReps.push(result);
    if (probeResult) measured.probe.push(probeResult);
  }
  return measured;
}

/** The latency probe runs in a child process of its own, like the servers (see lib/probe.ts). */
async function runProbe(opts: BenchOptions, port: number, probePath: string, durationS: number): Promise<LoadResult> {
  const args = [...loaderArgs(opts.loader), 'bench/lib/probe.ts', String(port), probePath, String(durationS), String(1000 / opts.probeRate)];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the probe exited with ${code}`);
  return JSON.parse(output) as LoadResult;
}

function row(label: string, engine: Row['engine'], reps: LoadResult[], peakRssMb: number, counters?: Record<string, number>): Row {
  return { label, engine, reps, median: medianOf(reps), peakRssMb, notes: problemsOf(reps, counters) };
}

/** An access token shaped like Gatehouse's, for the floor baseline (which has no database). */
function floorCookie(ws: Workspace): string {
  const key = crypto.createPrivateKey(fs.readFileSync(ws.privateKeyFile, 'utf8'));
  const token = jwt.sign({
    sub: crypto.randomUUID(), type: 'access', username: 'bench_user', is_reader: true, is_author: false, is_admin: false,
    sid: crypto.randomUUID(), ver: 0, jti: crypto.randomUUID(),
  }, key, { algorithm: 'RS256', expiresIn: '1h', issuer: 'gatehouse', audience: 'gatehouse', keyid: 'bench' });
  // The same Cookie header shape as the Gatehouse /me requests: access token plus a CSRF cookie.
  return `${COOKIES.access}=${token}; ${COOKIES.csrf}=${crypto.randomBytes(64).toString('hex')}.${crypto.randomBytes(32).toString('hex')}`;
}

function httpBaselines(ws: Workspace) {
  return [
    { key: 'hello', label: '(a) ceiling: Express hello', script: 'bench/baselines/hello.ts', request: { path: '/' } },
    { key: 'floor', label: '(b) floor: cookie + JWT verify + EJS', script: 'bench/baselines/jwt-ejs.ts', request: { path: '/me', headers: { cookie: floorCookie(ws) } } },
  ] as const;
}

function startBaseline(ws: Workspace, opts: BenchOptions, baseline: ReturnType<typeof httpBaselines>[number], logName: string = baseline.key): Promise<ServerProcess> {
  const env = { NODE_ENV: 'production', BENCH_PUBLIC_KEY_FILE: ws.publicKeyFile, BENCH_COOKIE_NAME: COOKIES.access };
  return startServer(baseline.key, baseline.script, env, ws.log(logName), { loader: opts.loader, cpuProfileDir: opts.cpuProfileDir });
}

async function measureBaselines(ws: Workspace, opts: BenchOptions, rows: Row[]): Promise<void> {
  for (const baseline of httpBaselines(ws)) {
    if (!opts.only.has(baseline.key)) continue;
    const server = await startBaseline(ws, opts, baseline);
    try {
      const { reps } = await measure(server, opts, async () => baseline.request);
      rows.push(row(baseline.label, 'baseline', reps, server.peakRssMb()));
    } finally {
      await server.stop();
    }
  }
}

/** Baseline (c) runs in a child process of its own with Gatehouse's thread pool size. */
async function bcryptBaseline(opts: BenchOptions, rows: Row[]): Promise<void> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    BCRYPT_COST: String(opts.bcryptCost),
    BENCH_CONNECTIONS: String(opts.connections),
    BENCH_DURATION_S: String(opts.durationS),
    BENCH_WARMUP_S: String(Math.min(opts.warmupS, 2)),
    BENCH_REPS: String(opts.reps),
  };
  if (opts.threadpool) env.UV_THREADPOOL_SIZE = opts.threadpool;
  const child = spawn(process.execPath, [...loaderArgs(opts.loader), 'bench/baselines/bcrypt.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the bcrypt baseline exited with ${code}`);
  const lines = output.trim().split('\n').map((line) => JSON.parse(line) as { rep?: LoadResult; peakRssMb?: number });
  const reps = lines.flatMap((line) => (line.rep ? [line.rep] : []));
  const peak = lines.find((line) => line.peakRssMb !== undefined)?.peakRssMb ?? NaN;
  rows.push(row(`(c) raw bcrypt.compare, cost ${opts.bcryptCost}`, 'baseline', reps, peak));
}

/** `npm start`'s node flags, then any --node-flags given to the bench (later flags win). */
function gatehouseFlags(opts: BenchOptions): string[] {
  return [...startScriptFlags(), ...opts.nodeFlags];
}

async function gatehouseEngine(ws: Workspace, opts: BenchOptions, engine: 'sqlite' | 'mysql', databaseUrl: string, rows: Row[]): Promise<EngineReport> {
  await seedDatabase(databaseUrl, opts.bcryptCost);
  const env = gatehouseEnv(ws, databaseUrl, opts.bcryptCost, opts.threadpool);
  const report: EngineReport = { startupMs: [] };
  const start = async (name: string) => {
    const fromDist = opts.gatehouse === 'dist';
    const server = await startServer(`gatehouse-${engine}`, fromDist ? 'dist/server.js' : 'src/server.ts', env, ws.log(`gatehouse-${engine}-${name}`), {
      waitReady: true, loader: fromDist ? 'none' : opts.loader, cpuProfileDir: opts.cpuProfileDir, nodeFlags: gatehouseFlags(opts),
    });
    report.startupMs.push(server.startupMs);
    return server;
  };
  for (const target of GATEHOUSE_TARGETS) {
    if (!opts.only.has(target.key)) continue;
    const server = await start(target.key);
    try {
      const measured = await measure(server, opts, () => target.prepare(server.port, opts.connections), target);
      rows.push(row(target.label, engine, measured.reps, server.peakRssMb(), measured.counters));
      if (target.probe && measured.probe.length > 0) {
        rows.push(row(`${target.label}, probed`, engine, measured.probedReps, server.peakRssMb()));
        rows.push(row(target.probe.label, engine, measured.probe, server.peakRssMb()));
      }
    } finally {
      await server.stop();
    }
  }
  if (opts.only.has('long') && opts.longS > 0) report.rss = await rssFlatness(opts, await start('long'));
  if (opts.only.has('me') && opts.only.has('floor') && opts.interleaveRounds > 0) {
    report.interleaved = await interleavedFloorRatio(ws, opts, await start('interleaved'));
  }
  return report;
}

/**
 * `/me` against the floor with both servers up at once and the load alternating between them,
 * burst by burst (the order flips every round). The table's rows are measured minutes apart,
 * and on a shared machine the neighbours change in between: the same ratio has moved by ±15 %
 * from one run to the next. Each round's ratio compares two bursts seconds apart.
 */
async function interleavedFloorRatio(ws: Workspace, opts: BenchOptions, gatehouse: ServerProcess): Promise<EngineReport['interleaved']> {
  const floorBaseline = httpBaselines(ws).find((b) => b.key === 'floor')!;
  let floor: ServerProcess | undefined;
  try {
    floor = await startBaseline(ws, opts, floorBaseline, `floor-interleaved-${gatehouse.name}`);
    const burstS = Math.min(opts.durationS, 5);
    const target = GATEHOUSE_TARGETS.find((t) => t.key === 'me')!;
    const sides = [
      { server: floor, request: floorBaseline.request as LoadRequest },
      { server: gatehouse, request: await target.prepare(gatehouse.port, opts.connections) },
    ];
    const burst = (side: (typeof sides)[number]) => cpuBurst(side.server, side.request, opts.connections, burstS);
    for (const side of sides) await burst(side); // warm-up
    const reqRatios: number[] = [];
    const cpuRatios: number[] = [];
    for (let round = 0; round < opts.interleaveRounds; round += 1) {
      const [first, second] = round % 2 === 0 ? sides : [...sides].reverse();
      const results = new Map([[first!.server, await burst(first!)], [second!.server, await burst(second!)]]);
      const me = results.get(gatehouse)!;
      const base = results.get(floor)!;
      reqRatios.push(me.reqPerSec / base.reqPerSec);
      cpuRatios.push(base.cpuUsPerReq / me.cpuUsPerReq);
    }
    return { rounds: opts.interleaveRounds, burstS, reqRatios, cpuRatios };
  } finally {
    await floor?.stop();
    await gatehouse.stop();
  }
}

/** A long /me run, RSS sampled every 250 ms: a leak shows as the second half above the first. */
async function rssFlatness(opts: BenchOptions, server: ServerProcess): Promise<EngineReport['rss']> {
  try {
    const target = GATEHOUSE_TARGETS.find((t) => t.key === 'me')!;
    const request = await target.prepare(server.port, opts.connections);
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(server.rssMb()), 250);
    await runLoad({ port: server.port, request, connections: opts.connections, durationS: opts.longS });
    clearInterval(sampler);
    const half = Math.floor(samples.length / 2);
    const first = samples.slice(0, half);
    const second = samples.slice(half);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
    return {
      seconds: opts.longS,
      firstHalfMaxMb: Math.max(...first),
      secondHalfMaxMb: Math.max(...second),
      firstHalfMeanMb: mean(first),
      secondHalfMeanMb: mean(second),
      peakMb: server.peakRssMb(),
    };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const opts = parseBenchArgs(process.argv.slice(2), process.env);
  const loadBefore = os.loadavg();
  const ws = createWorkspace();
  const rows: Row[] = [];
  const engines: Record<string, EngineReport> = {};
  process.stdout.write(`Gatehouse bench: ${opts.durationS}s × ${opts.reps} per target, ${opts.connections} connections, bcrypt cost ${opts.bcryptCost}, `
    + `UV_THREADPOOL_SIZE ${opts.threadpool ?? 'unset (libuv default 4)'}, bcrypt slots ${bcryptSlots(libuvPoolSize({ UV_THREADPOOL_SIZE: opts.threadpool }))}, `
    + `Gatehouse runs with node ${gatehouseFlags(opts).map((flag) => `${flag} `).join('')}${opts.gatehouse === 'dist' ? 'dist/server.js' : `--${opts.loader} ${opts.loader === 'import' ? 'tsx' : 'tsx/cjs'} src/server.ts`}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`);
  // As npm start does: compile first when a source is newer than dist/.
  if (opts.gatehouse === 'dist') execFileSync(process.execPath, ['scripts/build.js', '--if-needed'], { cwd: ROOT, stdio: 'inherit' });
  try {
    await measureBaselines(ws, opts, rows);
    if (opts.only.has('bcrypt')) await bcryptBaseline(opts, rows);
    engines.sqlite = await gatehouseEngine(ws, opts, 'sqlite', `sqlite:${path.join(ws.dir, 'gatehouse.sqlite')}`, rows);
    if (opts.mysqlUrl) {
      const scratch = await createScratchMysql(opts.mysqlUrl);
      try {
        engines.mysql = await gatehouseEngine(ws, opts, 'mysql', scratch.url, rows);
      } finally {
        await scratch.drop();
      }
    }
  } finally {
    ws.remove();
  }

  const ratios = computeRatios(rows, Object.keys(engines));
  const loadAfter = os.loadavg();
  process.stdout.write(`\n${formatTable(rows)}\n\n${formatSummary(rows, engines, ratios, loadBefore, loadAfter)}\n`);
  const file = writeResults({
    when: new Date().toISOString(),
    code: describeCode(),
    machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model, memoryGb: os.totalmem() / 2 ** 30, node: process.version, loadBefore, loadAfter },
    options: { ...opts, only: [...opts.only], mysqlUrl: opts.mysqlUrl ? 'set' : undefined },
    rows,
    ratios,
    engines,
    markdown: formatMarkdown(rows),
  });
  process.stdout.write(`Results: ${path.relative(ROOT, file)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
