import { GATEHOUSE_TARGETS } from '../targets';
import type { BenchOptions } from './args';
import type { Deployment } from './deployments';
import { runLoad } from './load';

export interface RssFlatness {
  seconds: number;
  firstHalfMaxMb: number;
  secondHalfMaxMb: number;
  firstHalfMeanMb: number;
  secondHalfMeanMb: number;
  peakMb: number;
}

/** A long /me run, RSS sampled every 250 ms: a leak shows as the second half above the first. */
export async function rssFlatness(opts: BenchOptions, server: Deployment): Promise<RssFlatness> {
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
