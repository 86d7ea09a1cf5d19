import path from 'node:path';
import { parseArgs } from 'node:util';
import type { SeedCounts } from '../../src/db/seed';
import type { Loader } from './processes';

export const TARGET_KEYS = [
  'hello', 'floor', 'plain', 'bcrypt', 'refresh-floor',
  'me', 'me-bare', 'home', 'api-me', 'login', 'refresh', 'refresh-api',
  'admin-search', 'admin-users-deep', 'admin-users-typed', 'audit-user', 'audit-user-deep', 'audit-type', 'audit-type-deep', 'me-sessions',
  'long', 'scale',
] as const;
export type TargetKey = (typeof TARGET_KEYS)[number];
export const DATASETS = ['empty', 'seeded'] as const;
export type Dataset = (typeof DATASETS)[number];
/** The installation: a hundred thousand accounts, a million audit events. */
export const DEFAULT_SEED: SeedCounts = { users: 100_000, sessions: 200_000, audit: 1_000_000, articles: 20_000 };
export const DEFAULT_SCALE = [10_000, 100_000, 1_000_000];

export interface BenchOptions {
  durationS: number;
  /**
   * Each run ends after this many answered requests instead of after `durationS` seconds, and
   * warm-ups are skipped: a check that every target answers, as fast as the machine allows and
   * never empty however loaded it is (the bench test). Unset: runs last `durationS`.
   */
  requests?: number;
  connections: number;
  reps: number;
  warmupS: number;
  /** The long /me run for RSS flatness; 0 skips it. */
  longS: number;
  bcryptCost: number;
  /** UV_THREADPOOL_SIZE for Gatehouse and the bcrypt baseline; unset: Gatehouse's own default. */
  threadpool?: string;
  /** The /healthz probe during the login storm sends one request every 1000/probeRate ms. */
  probeRate: number;
  /** Rounds of interleaved /me and floor (b) bursts per engine, for the ratio; 0 skips them. */
  interleaveRounds: number;
  only: Set<TargetKey>;
  mysqlUrl?: string;
  /** How every server process loads TypeScript (see processes.ts). */
  loader: Loader;
  /** Gatehouse as npm start runs it (`dist`: built if needed, no loader) or from its sources through `loader`. */
  gatehouse: 'dist' | 'src';
  /** Where each server writes a V8 CPU profile (open it in Chrome DevTools); unset: no profiling. */
  cpuProfileDir?: string;
  /** Node flags for the Gatehouse servers after those of `npm start` (e.g. --max-semi-space-size=16), to compare settings. */
  nodeFlags: string[];
  /** Which databases every Gatehouse target runs on, side by side: only the bench's own fixture, and that plus `seed`. */
  datasets: Dataset[];
  seed: SeedCounts;
  /** Audit table sizes of the growth table (target `scale`), and the length of each run there. */
  scale: number[];
  scaleDurationS: number;
  /** The multi-instance mode (lib/instances.ts): 1 instance against this many behind nginx, Redis against memory; unset skips it. */
  instances?: number;
}

const USAGE = `npm run bench -- [--duration 10 | --requests N] [--connections 50] [--reps 3] [--warmup 3] [--long 30]
                   [--bcrypt-cost 12] [--threadpool N] [--probe-rate 100] [--interleave 6] [--loader require|import] [--gatehouse dist|src]
                   [--cpu-prof DIR] [--node-flags="--flag=value ..."] [--only ${TARGET_KEYS.join(',')}]
                   [--datasets empty,seeded] [--seed users=100000,sessions=200000,audit=1000000,articles=20000]
                   [--scale 10000,100000,1000000] [--scale-duration 5] [--instances 2]
BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test also runs the Gatehouse targets on MariaDB.`;

export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      requests: { type: 'string' },
      connections: { type: 'string' },
      reps: { type: 'string' },
      warmup: { type: 'string' },
      long: { type: 'string' },
      'bcrypt-cost': { type: 'string' },
      threadpool: { type: 'string' },
      'probe-rate': { type: 'string' },
      interleave: { type: 'string' },
      only: { type: 'string' },
      loader: { type: 'string' },
      gatehouse: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'node-flags': { type: 'string' },
      datasets: { type: 'string' },
      seed: { type: 'string' },
      scale: { type: 'string' },
      'scale-duration': { type: 'string' },
      instances: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const number = (name: string, text: string | undefined, fallback: number, min: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number of at least ${min}\n${USAGE}`);
    return value;
  };
  const only = new Set<TargetKey>();
  for (const name of (values.only ?? TARGET_KEYS.join(',')).split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(TARGET_KEYS as readonly string[]).includes(name)) throw new Error(`--only: unknown target "${name}"\n${USAGE}`);
    only.add(name as TargetKey);
  }
  const loader = values.loader ?? 'require';
  if (loader !== 'import' && loader !== 'require') throw new Error(`--loader must be import or require\n${USAGE}`);
  const gatehouse = values.gatehouse ?? 'dist';
  if (gatehouse !== 'dist' && gatehouse !== 'src') throw new Error(`--gatehouse must be dist or src\n${USAGE}`);
  return {
    loader,
    gatehouse,
    durationS: number('duration', values.duration, 10, 1),
    requests: values.requests === undefined ? undefined : number('requests', values.requests, 0, 1),
    connections: number('connections', values.connections, 50, 1),
    reps: number('reps', values.reps, 3, 1),
    warmupS: number('warmup', values.warmup, 3, 0),
    longS: number('long', values.long, 30, 0),
    bcryptCost: number('bcrypt-cost', values['bcrypt-cost'] ?? env.BCRYPT_COST, 12, 4),
    threadpool: values.threadpool ?? env.UV_THREADPOOL_SIZE,
    probeRate: number('probe-rate', values['probe-rate'], 100, 1),
    interleaveRounds: number('interleave', values.interleave, 6, 0),
    only,
    mysqlUrl: env.BENCH_MYSQL_URL || undefined,
    cpuProfileDir: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined,
    nodeFlags: (values['node-flags'] ?? '').split(/\s+/).filter(Boolean),
    datasets: parseDatasets(values.datasets),
    seed: parseSeed(values.seed),
    scale: parseScale(values.scale),
    scaleDurationS: number('scale-duration', values['scale-duration'], 5, 1),
    instances: values.instances === undefined ? undefined : number('instances', values.instances, 0, 2),
  };
}

function parseDatasets(text: string | undefined): Dataset[] {
  const names = (text ?? DATASETS.join(',')).split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) if (!(DATASETS as readonly string[]).includes(name)) throw new Error(`--datasets: unknown dataset "${name}" (empty, seeded)\n${USAGE}`);
  if (names.length === 0) throw new Error(`--datasets names no dataset\n${USAGE}`);
  return [...new Set(names)] as Dataset[];
}

function parseSeed(text: string | undefined): SeedCounts {
  const counts = { ...DEFAULT_SEED };
  for (const part of (text ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = part.split('=');
    if (!name || !(name in counts) || !/^\d+$/.test(value ?? '')) throw new Error(`--seed takes name=count pairs of users, sessions, audit, articles (got "${part}")\n${USAGE}`);
    counts[name as keyof SeedCounts] = Number(value);
  }
  return counts;
}

function parseScale(text: string | undefined): number[] {
  if (text === undefined) return DEFAULT_SCALE;
  const sizes = text.split(',').map((p) => p.trim());
  if (sizes.some((size) => !/^\d+$/.test(size)) || sizes.map(Number).some((size, i, all) => i > 0 && size <= all[i - 1]!)) {
    throw new Error(`--scale takes growing audit table sizes, e.g. 10000,100000,1000000\n${USAGE}`);
  }
  return sizes.map(Number);
}
