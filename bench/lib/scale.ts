import type { Deployment } from './deployments';
import type { EngineContext } from './engine';
import { selectedTargets } from './engine';
import { seedDatabase } from './fixture';
import { medianOf } from './load';
import { measureSides } from './measure';
import { processCpuMs } from './processes';

/** One size of the audit table, and what each growth target measured there. */
export interface GrowthLevel {
  auditRows: number;
  results: Record<string, { label: string; reqPerSec: number; cpuUsPerReq: number; p99Ms: number; dbCpuUsPerReq?: number }>;
}

/**
 * The growth table: one database, seeded like the seeded dataset but with the audit table at
 * each size of --scale in turn (npm run seed tops it up: 10k, then 100k, then 1M events, plus
 * the bench history's 5,200), a fresh instance at each size, and every growth target measured
 * once there (--scale-duration s after 1 s of warm-up). It shows how each figure moves as the
 * table grows, not only that the largest size meets its target.
 */
export async function measureGrowth(ctx: EngineContext, deploy: (name: string, url: string) => Promise<Deployment>): Promise<GrowthLevel[]> {
  const { opts, dbPid } = ctx;
  const db = await ctx.createDatabase('growth');
  const levels: GrowthLevel[] = [];
  try {
    for (const auditRows of opts.scale) {
      await seedDatabase(db.url, opts.bcryptCost, { ...opts.seed, audit: auditRows });
      const server = await deploy(`growth-${auditRows}`, db.url);
      const level: GrowthLevel = { auditRows, results: {} };
      try {
        for (const target of selectedTargets(opts, (t) => t.growth === true)) {
          const side = { server, prepare: () => target.prepare(server.port, opts.connections), dbCpuMs: dbPid ? () => processCpuMs(dbPid) : undefined };
          const [measured] = await measureSides([side], opts, target, { durationS: opts.scaleDurationS, reps: 1, warmupS: 1, requests: opts.requests });
          const median = medianOf(measured!.reps);
          level.results[target.key] = { label: target.label, reqPerSec: median.reqPerSec, cpuUsPerReq: median.cpuUsPerReq ?? NaN, p99Ms: median.p99Ms, dbCpuUsPerReq: median.dbCpuUsPerReq };
        }
      } finally {
        await server.stop();
      }
      levels.push(level);
    }
  } finally {
    await db.drop();
  }
  return levels;
}
