import { spawn } from 'node:child_process';
import type { GatehouseTarget } from '../targets';
import type { BenchOptions } from './args';
import type { Deployment } from './deployments';
import { LoadRequest, LoadResult, runLoad, Span, spanOf } from './load';
import { loaderArgs, ROOT } from './processes';

export type Prepared = LoadRequest & { counters?: () => Record<string, number> };

/** One server under one target: how to get a fresh request shape, and the database's CPU if it is readable. */
export interface Side {
  server: Pick<Deployment, 'port' | 'url' | 'cpuMs' | 'settle'>;
  prepare: () => Promise<Prepared>;
  dbCpuMs?: () => number;
  redisCpuMs?: () => number;
}

export interface Measured {
  reps: LoadResult[];
  /** The probe's latencies, and the target's own figures in those same runs. */
  probe: LoadResult[];
  probedReps: LoadResult[];
  counters: Record<string, number>;
}

export interface MeasureOptions {
  durationS: number;
  reps: number;
  warmupS: number;
  /** Runs of this many requests instead of `durationS` seconds, no warm-up (BenchOptions.requests). */
  requests?: number;
}

/** The latency probe runs in a child process of its own, like the servers (see lib/probe.ts); a counted run's probe sends as many requests. */
async function runProbe(opts: BenchOptions, port: number, probePath: string, span: Span): Promise<LoadResult> {
  const length = 'amount' in span ? `n${span.amount}` : String(span.durationS);
  const args = [...loaderArgs(opts.loader), 'bench/lib/probe.ts', String(port), probePath, length, String(1000 / opts.probeRate)];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the probe exited with ${code}`);
  return JSON.parse(output) as LoadResult;
}

async function runOnce(side: Side, opts: BenchOptions, target: Partial<GatehouseTarget>, span: Span, probed: boolean) {
  const request = await side.prepare();
  const cpuBefore = side.server.cpuMs();
  const dbBefore = side.dbCpuMs?.();
  const redisBefore = side.redisCpuMs?.();
  const main = runLoad({ port: side.server.port, url: side.server.url, request, connections: opts.connections, ...span, timeoutS: target.timeoutS });
  const probe = probed && target.probe ? runProbe(opts, side.server.port, target.probe.path, span) : undefined;
  const [result, probeResult] = await Promise.all([main, probe]);
  const answered = Math.max(result.requests, 1);
  result.cpuUsPerReq = ((side.server.cpuMs() - cpuBefore) * 1000) / answered;
  if (dbBefore !== undefined) result.dbCpuUsPerReq = ((side.dbCpuMs!() - dbBefore) * 1000) / answered;
  if (redisBefore !== undefined) result.redisCpuUsPerReq = ((side.redisCpuMs!() - redisBefore) * 1000) / answered;
  if (target.drains) await side.server.settle();
  return { result, probeResult, counters: request.counters?.() ?? {} };
}

/**
 * One target on several servers at once (the empty and the seeded database), warmed up, then
 * measured `reps` times, the servers taking turns run by run (the order flips every repetition),
 * so a busy neighbour slows every side alike. A target with a latency probe (the login storm)
 * then runs `reps` more times with the probe alongside: its throughput is read from the runs
 * without it, as baseline (c) has no second load generator competing for the two cores.
 * After each run of a target that `drains` the bench waits until the server is idle.
 */
export async function measureSides(sides: Side[], opts: BenchOptions, target: Partial<GatehouseTarget>, timing: MeasureOptions = opts): Promise<Measured[]> {
  const measured: Measured[] = sides.map(() => ({ reps: [], probe: [], probedReps: [], counters: {} }));
  const requests = timing.requests && Math.max(1, Math.round(timing.requests * (target.countShare ?? 1)));
  const span = spanOf({ requests }, timing.durationS);
  if (timing.warmupS > 0 && !timing.requests) for (const side of sides) await runOnce(side, opts, target, { durationS: timing.warmupS }, false);
  const turns = (rep: number) => (rep % 2 === 0 ? sides.map((_, i) => i) : sides.map((_, i) => sides.length - 1 - i));
  for (let rep = 0; rep < timing.reps; rep += 1) {
    for (const i of turns(rep)) {
      const { result, counters } = await runOnce(sides[i]!, opts, target, span, false);
      measured[i]!.reps.push(result);
      for (const [name, value] of Object.entries(counters)) measured[i]!.counters[name] = (measured[i]!.counters[name] ?? 0) + value;
    }
  }
  for (let rep = 0; target.probe && rep < timing.reps; rep += 1) {
    for (const i of turns(rep)) {
      const { result, probeResult } = await runOnce(sides[i]!, opts, target, span, true);
      measured[i]!.probedReps.push(result);
      if (probeResult) measured[i]!.probe.push(probeResult);
    }
  }
  return measured;
}
