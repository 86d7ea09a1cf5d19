import { GATEHOUSE_TARGETS, GatehouseTarget } from '../targets';
import type { BenchOptions, Dataset } from './args';
import { baselineRow, refreshFloor } from './baselines';
import { deployGatehouse, Deployment } from './deployments';
import { gatehouseEnv, seedDatabase, Workspace } from './fixture';
import { InterleavedRatio, interleavedFloorRatios } from './interleave';
import { measureSides } from './measure';
import { processCpuMs } from './processes';
import type { Row } from './report';
import { RssFlatness, rssFlatness } from './rss';
import { GrowthLevel, measureGrowth } from './scale';
import { InstancesReport, measureInstances } from './instances';

export type Engine = 'sqlite' | 'mysql';

/** A database the bench makes for one purpose, and throws away afterwards. */
export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface EngineContext {
  ws: Workspace;
  opts: BenchOptions;
  engine: Engine;
  /** A fresh, empty database named for its purpose (e.g. seeded), migrated by the bench. */
  createDatabase(name: string): Promise<ScratchDatabase>;
  /** The database server's process on this machine (MariaDB), whose CPU is read alongside. */
  dbPid?: number;
}

/** What one database engine's runs add beyond the table rows. */
export interface EngineReport {
  startupMs: number[];
  /** /me ÷ floor (b) and ÷ plain floor (p) from bursts alternating between the servers, all running at once. */
  interleaved?: InterleavedRatio;
  interleavedPlain?: InterleavedRatio;
  rss?: RssFlatness;
  /** Peak RSS of the one instance that served every target, per dataset. */
  peakRssMb: Partial<Record<Dataset, number>>;
  growth?: GrowthLevel[];
  /** The multi-instance mode (--instances N): behind nginx, 1 instance against N, memory against Redis. */
  instances?: InstancesReport;
}

export function selectedTargets(opts: BenchOptions, filter: (target: GatehouseTarget) => boolean = () => true): GatehouseTarget[] {
  return GATEHOUSE_TARGETS.filter((target) => opts.only.has(target.key) && filter(target));
}

/** Every selected target, on each dataset's own instance, the instances taking turns (lib/measure.ts). */
async function measureTargets(ctx: EngineContext, deployments: Array<{ dataset: Dataset; server: Deployment }>, rows: Row[]): Promise<void> {
  const { opts, engine, dbPid } = ctx;
  for (const target of selectedTargets(ctx.opts)) {
    const sides = deployments.map(({ server }) => ({
      server,
      prepare: () => target.prepare(server.port, opts.connections),
      dbCpuMs: dbPid ? () => processCpuMs(dbPid) : undefined,
    }));
    const measured = await measureSides(sides, opts, target);
    deployments.forEach(({ dataset, server }, i) => {
      const { reps, probe, probedReps, counters } = measured[i]!;
      rows.push(baselineRow(target.label, engine, reps, server.peakRssMb(), dataset, counters));
      if (target.probe && probe.length > 0) {
        rows.push(baselineRow(`${target.label}, probed`, engine, probedReps, server.peakRssMb(), dataset));
        rows.push(baselineRow(target.probe.label, engine, probe, server.peakRssMb(), dataset));
      }
    });
  }
}

/**
 * One engine: a database per dataset (the bench's fixture only, and that plus npm run seed's
 * data), the bare refresh floor on each, one Gatehouse instance per dataset serving every
 * target side by side, then the long RSS run and the interleaved floors on the empty database,
 * and the growth table on a database of its own.
 */
export async function benchEngine(ctx: EngineContext, rows: Row[]): Promise<EngineReport> {
  const { ws, opts, engine } = ctx;
  const report: EngineReport = { startupMs: [], peakRssMb: {} };
  const databases: Array<{ dataset: Dataset; db: ScratchDatabase }> = [];
  const deployments: Array<{ dataset: Dataset; server: Deployment }> = [];
  const deploy = async (name: string, url: string) => {
    const server = await deployGatehouse({ ws, opts, name: `gatehouse-${engine}-${name}`, env: gatehouseEnv(ws, url, opts.bcryptCost, opts.threadpool) });
    report.startupMs.push(server.startupMs);
    return server;
  };
  try {
    for (const dataset of opts.datasets) {
      const db = await ctx.createDatabase(dataset);
      databases.push({ dataset, db });
      await seedDatabase(db.url, opts.bcryptCost, dataset === 'seeded' ? opts.seed : undefined);
      if (opts.only.has('refresh-floor')) rows.push(await refreshFloor(ws, opts, engine, dataset, db.url, ctx.dbPid));
    }
    for (const { dataset, db } of databases) deployments.push({ dataset, server: await deploy(dataset, db.url) });
    await measureTargets(ctx, deployments, rows);
    for (const { dataset, server } of deployments) report.peakRssMb[dataset] = server.peakRssMb();
    for (const { server } of deployments.splice(0)) await server.stop();

    const first = databases[0]!.db.url;
    if (opts.only.has('long') && opts.longS > 0) report.rss = await rssFlatness(opts, await deploy('long', first));
    if (opts.only.has('me') && opts.only.has('floor') && opts.only.has('plain') && opts.interleaveRounds > 0) {
      const ratios = await interleavedFloorRatios(ws, opts, await deploy('interleaved', first));
      report.interleaved = ratios.floor;
      report.interleavedPlain = ratios.plain;
    }
    if (opts.only.has('scale')) report.growth = await measureGrowth(ctx, deploy);
    if (opts.instances) report.instances = await measureInstances(ctx, opts.instances);
  } finally {
    for (const { server } of deployments) await server.stop();
    for (const { db } of databases) await db.drop();
  }
  return report;
}
