import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Loader } from './processes';

export const TARGET_KEYS = ['hello', 'floor', 'bcrypt', 'me', 'home', 'api-me', 'login', 'refresh', 'long'] as const;
export type TargetKey = (typeof TARGET_KEYS)[number];

export interface BenchOptions {
  durationS: number;
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
}

const USAGE = `npm run bench -- [--duration 10] [--connections 50] [--reps 3] [--warmup 3] [--long 30]
                   [--bcrypt-cost 12] [--threadpool N] [--probe-rate 100] [--interleave 6] [--loader require|import] [--gatehouse dist|src]
                   [--cpu-prof DIR] [--node-flags="--flag=value ..."] [--only ${TARGET_KEYS.join(',')}]
BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test also runs the Gatehouse targets on MariaDB.`;

export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
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
  };
}
