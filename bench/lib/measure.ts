import { spawn } from 'node:child_process';
import type { GatehouseTarget } from '../targets';
import type { BenchOptions } from './args';
import type { Deployment } from './deployments';
import { LoadRequest, LoadResult, runLoad } from './load';
import { loaderArgs, ROOT } from './processes';

export type Prepared = LoadRequest & { counters?: () => Record<string, number> };

/** One server under one target: how to get a fresh request shape, and the database's CPU if it is readable. */
export interface Side {
  server: Pick<Deployment, 'port' | 'cpuMs' | 'settle'>;
  prepare: () => Promise<Prepared>;
  dbCpuMs?: () => number;
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

async function runOnce(side: Side, opts: BenchOptions, target: Partial<GatehouseTarget>, durationS: number, probed: boolean) {
  const request = await side.prepare();
  const cpuBefore = side.server.cpuMs();
  const dbBefore = side.dbCpuMs?.();
  const main = runLoad({ port: side.server.port, request, connections: opts.connections, durationS, timeoutS: target.timeoutS });
  const probe = probed && target.probe ? runProbe(opts, side.server.port, target.probe.path, durationS) : undefined;
  const [result, probeResult] = await Promise.all([main, probe]);
  const answered = Math.max(result.requests, 1);
  result.cpuUsPerReq = ((side.server.cpuMs() - cpuBefore) * 1000) / answered;
  if (dbBefore !== undefined) result.dbCpuUsPerReq = ((side.dbCpuMs!() - dbBefore) * 1000) / answered;
  await side.server.settle();
  return { result, probeResult, counters: request.counters?.() ?? {} };
}

/**
 * One target on several servers at once (the empty and the seeded database), warmed up, then
 * measured `reps` times, the servers taking turns run by run (the order flips every repetition),
 * so a busy neighbour slows every side alike. A target with a latency probe (the login storm)
 * then runs `reps` more times with the probe alongside: its throughput is read from the runs
 * without it, as baseline (c) has no second load generator competing for the two cores.
 */
export async function measureSides(sides: Side[], opts: BenchOptions, target: Partial<GatehouseTarget>, timing: MeasureOptions = opts): Promise<Measured[]> {
  const measured: Measured[] = sides.map(() => ({ reps: [], probe: [], probedReps: [], counters: {} }));
  if (timing.warmupS > 0) for (const side of sides) await runOnce(side, opts, target, timing.warmupS, false);
  const turns = (rep: number) => (rep % 2 === 0 ? sides.map((_, i) => i) : sides.map((_, i) => sides.length - 1 - i));
  for (let rep = 0; rep < timing.reps; rep += 1) {
    for (const i of turns(rep)) {
      const { result, counters } = await runOnce(sides[i]!, opts, target, timing.durationS, false);
      measured[i]!.reps.push(result);
      for (const [name, value] of Object.entries(counters)) measured[i]!.counters[name] = (measured[i]!.counters[name] ?? 0) + value;
    }
  }
  for (let rep = 0; target.probe && rep < timing.reps; rep += 1) {
    for (const i of turns(rep)) {
      const { result, probeResult } = await runOnce(sides[i]!, opts, target, timing.durationS, true);
      measured[i]!.probedReps.push(result);
      if (probeResult) measured[i]!.probe.push(probeResult);
    }
  }
  return measured;
}
