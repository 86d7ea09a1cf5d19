import fs from 'node:fs';
import path from 'node:path';
import { ownRedis } from '../../test/cluster/support/services';
import type { GatehouseTarget } from '../targets';
import { deployBehindNginx } from './cluster';
import type { Deployment } from './deployments';
import { EngineContext, selectedTargets } from './engine';
import { gatehouseEnv, seedDatabase } from './fixture';
import { LoadResult, medianOf } from './load';
import { measureSides } from './measure';
import { processCpuMs } from './processes';

/** The targets of the multi-instance mode: authenticated reads, and the rotation, the most frequent write. */
export const INSTANCE_TARGETS: ReadonlyArray<GatehouseTarget['key']> = ['me', 'api-me', 'refresh-api'];

/** One way of serving Gatehouse behind nginx. */
export interface InstancePlan {
  key: string;
  label: string;
  instances: number;
  state: 'memory' | 'redis';
}

export interface InstancesReport {
  plans: InstancePlan[];
  /** Per target, per plan: the medians of its runs (CPU = the instances' sum; Redis's own CPU apart). */
  results: Record<string, { label: string; by: Record<string, LoadResult> }>;
  ratios: Record<string, number | undefined>;
}

export function instancePlans(instances: number): InstancePlan[] {
  return [
    { key: 'memory-1', label: '1 instance, memory', instances: 1, state: 'memory' },
    { key: 'redis-1', label: '1 instance, Redis', instances: 1, state: 'redis' },
    { key: `redis-${instances}`, label: `${instances} instances, Redis`, instances, state: 'redis' },
  ];
}

function instanceRatios(results: InstancesReport['results'], instances: number): InstancesReport['ratios'] {
  const ratios: InstancesReport['ratios'] = {};
  const of = (key: string, plan: string) => results[key]?.by[plan];
  const many = `redis-${instances}`;
  for (const [key, name] of [['me', '/me'], ['api-me', '/api/me'], ['refresh-api', 'refresh']] as const) {
    const memory = of(key, 'memory-1');
    const one = of(key, 'redis-1');
    const several = of(key, many);
    if (!memory || !one || !several) continue;
    ratios[`${name}: ${instances} instances ÷ 1, req/s`] = several.reqPerSec / one.reqPerSec;
    ratios[`${name}: CPU/req, Redis ÷ memory`] = (one.cpuUsPerReq ?? NaN) / (memory.cpuUsPerReq ?? NaN);
    ratios[`${name}: CPU/req, Redis ÷ memory, Redis's own CPU included`] = ((one.cpuUsPerReq ?? NaN) + (one.redisCpuUsPerReq ?? 0)) / (memory.cpuUsPerReq ?? NaN);
    ratios[`${name}: CPU/req, ${instances} instances ÷ 1`] = (several.cpuUsPerReq ?? NaN) / (one.cpuUsPerReq ?? NaN);
  }
  return ratios;
}

/**
 * The multi-instance mode (--instances N), on one engine: a database with the bench's fixture,
 * a redis-server of the bench's own, and three ways of serving Gatehouse behind nginx running
 * side by side: one instance with its state in memory (no REDIS_URL), one with it in Redis, and
 * N on the same database and Redis. Each target runs on the three in turn (lib/measure.ts), so
 * the figures are read against each other, on a machine the load generator, nginx, Redis and
 * the database share with the instances.
 */
export async function measureInstances(ctx: EngineContext, instances: number): Promise<InstancesReport> {
  const { ws, opts, engine, dbPid } = ctx;
  const db = await ctx.createDatabase('instances');
  const redisDir = path.join(ws.dir, `redis-${engine}`);
  fs.mkdirSync(redisDir, { recursive: true });
  const redis = await ownRedis(redisDir);
  const plans = instancePlans(instances);
  const deployments: Deployment[] = [];
  const results: InstancesReport['results'] = {};
  try {
    await seedDatabase(db.url, opts.bcryptCost);
    for (const plan of plans) {
      const env = { ...gatehouseEnv(ws, db.url, opts.bcryptCost, opts.threadpool), ...(plan.state === 'redis' ? { REDIS_URL: redis.url } : {}) };
      deployments.push(await deployBehindNginx({ ws, opts, name: `gatehouse-${engine}-${plan.key}`, env }, plan.instances));
    }
    const redisPid = redis.pid();
    for (const target of selectedTargets(opts, (t) => INSTANCE_TARGETS.includes(t.key))) {
      const sides = deployments.map((server) => ({
        server,
        prepare: () => target.prepare(server.port, opts.connections),
        dbCpuMs: dbPid ? () => processCpuMs(dbPid) : undefined,
        redisCpuMs: redisPid ? () => processCpuMs(redisPid) : undefined,
      }));
      const measured = await measureSides(sides, opts, target);
      results[target.key] = { label: target.label, by: Object.fromEntries(plans.map((plan, i) => [plan.key, medianOf(measured[i]!.reps)])) };
    }
  } finally {
    for (const server of deployments) await server.stop();
    await redis.stop();
    await db.drop();
  }
  return { plans, results, ratios: instanceRatios(results, instances) };
}
