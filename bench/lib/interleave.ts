import { GATEHOUSE_TARGETS } from '../targets';
import type { BenchOptions } from './args';
import { httpBaselines, startBaseline } from './baselines';
import type { Deployment } from './deployments';
import type { Workspace } from './fixture';
import { cpuBurst, LoadRequest, spanOf } from './load';
import type { ServerProcess } from './processes';

export interface InterleavedRatio {
  rounds: number;
  burstS: number;
  reqRatios: number[];
  cpuRatios: number[];
}

/**
 * `/me` against the floors with every server up at once and the load going to each in turn,
 * burst by burst (the order flips every round): (b) the floor under tsx as the bench has always
 * run it, and (p) the same page as plain JavaScript under `node`. The table's rows are measured
 * minutes apart, and on a shared machine the neighbours change in between: the same ratio has
 * moved by ±15 % from one run to the next. Each round's ratio compares bursts seconds apart.
 */
export async function interleavedFloorRatios(ws: Workspace, opts: BenchOptions, gatehouse: Deployment): Promise<Record<'floor' | 'plain', InterleavedRatio>> {
  const floors = httpBaselines(ws).filter((b) => b.key === 'floor' || b.key === 'plain');
  const started: ServerProcess[] = [];
  try {
    for (const floor of floors) started.push(await startBaseline(ws, opts, floor, `${floor.key}-interleaved-${gatehouse.name}`));
    const burstS = Math.min(opts.durationS, 5);
    const target = GATEHOUSE_TARGETS.find((t) => t.key === 'me')!;
    const sides: Array<{ key: string; server: Pick<Deployment, 'name' | 'port' | 'cpuMs'>; request: LoadRequest }> = [
      ...floors.map((floor, i) => ({ key: floor.key, server: started[i]!, request: floor.request as LoadRequest })),
      { key: 'me', server: gatehouse, request: await target.prepare(gatehouse.port, opts.connections) },
    ];
    const burst = (side: (typeof sides)[number]) => cpuBurst(side.server, side.request, opts.connections, spanOf(opts, burstS));
    for (const side of sides) await burst(side); // warm-up
    const ratios = { floor: { rounds: opts.interleaveRounds, burstS, reqRatios: [] as number[], cpuRatios: [] as number[] }, plain: { rounds: opts.interleaveRounds, burstS, reqRatios: [] as number[], cpuRatios: [] as number[] } };
    for (let round = 0; round < opts.interleaveRounds; round += 1) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      const results = new Map<string, Awaited<ReturnType<typeof burst>>>();
      for (const side of order) results.set(side.key, await burst(side));
      const me = results.get('me')!;
      for (const key of ['floor', 'plain'] as const) {
        const base = results.get(key)!;
        ratios[key].reqRatios.push(me.reqPerSec / base.reqPerSec);
        ratios[key].cpuRatios.push(base.cpuUsPerReq / me.cpuUsPerReq);
      }
    }
    return ratios;
  } finally {
    for (const server of started) await server.stop();
    await gatehouse.stop();
  }
}
