import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseBenchArgs } from '../../bench/lib/args';
import { clusterMissing } from '../../bench/lib/cluster';
import { ROOT_DIR } from '../../src/config/env';

/**
 * `npm run bench` end to end, cut short: every run ends after a count of answered requests
 * (`--requests`, no warm-up), not after a time, so no row can come back empty on a loaded
 * machine; 10 connections, a tiny seed, a growth table of two small sizes. Every server starts,
 * every target is answered without a single failure, and every ratio the issue asks for is
 * reported and written to the results file. On MariaDB too when TEST_MYSQL_URL is set. No
 * figure is judged here: on a shared machine timings belong to the bench, not to the tests.
 */
const run = promisify(execFile);
const MYSQL_URL = process.env.TEST_MYSQL_URL;
const ENGINES = MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];

interface Results {
  rows: Array<{ label: string; engine: string; dataset?: string; notes?: string; median: { requests: number; non2xx: number; errors: number; reqPerSec: number; dbCpuUsPerReq?: number } }>;
  ratios: Record<string, number | null>;
  datasetRatios: Array<{ engine: string; label: string; reqRatio: number }>;
  engines: Record<string, {
    startupMs: number[]; interleaved?: { reqRatios: number[]; cpuRatios: number[] }; interleavedPlain?: { reqRatios: number[] }; rss?: { peakMb: number };
    peakRssMb: Record<string, number>; growth?: Array<{ auditRows: number; results: Record<string, { reqPerSec: number }> }>;
  }>;
}

const GATEHOUSE = ['GET /me (cookie)', 'GET /me (access cookie only)', 'GET / (anonymous)', 'GET /api/me (Bearer)', 'POST /api/auth/login', 'POST /api/auth/login, probed',
  'GET /healthz during login storm', 'GET /me (silent refresh)', 'POST /api/auth/refresh (rotation)', 'GET /admin/users?q=grace. (search)',
  'GET /admin/users page 500 (Next link)', 'GET /admin/users?page=500 (typed)', 'GET /admin/audit?user=bench_user',
  'GET /admin/audit?user=bench_user page 50 (Next link)', 'GET /admin/audit?event=login_failed',
  'GET /admin/audit?event=login_failed page 50 (Next link)', 'GET /me/sessions (50 sessions)'];
const GROWTH = ['me', 'api-me', 'refresh-api', 'admin-search', 'admin-users-deep', 'admin-users-typed', 'audit-user', 'audit-user-deep', 'audit-type', 'audit-type-deep', 'me-sessions'];
const FLOOR_R = '(r) bare refresh floor: Knex rotation + 1 RS256 signature, no HTTP';

/** The multi-instance mode needs nginx and a Redis (TEST_REDIS_URL says one may run here; the bench starts its own redis-server). */
const instancesMissing = [...clusterMissing(), ...(process.env.TEST_REDIS_URL ? [] : ['TEST_REDIS_URL is not set'])];
const describeInstances: jest.Describe = instancesMissing.length === 0
  ? describe
  : (((name: string, fn: () => void) => describe.skip(`${name} (skipped: ${instancesMissing.join('; ')})`, fn)) as unknown as jest.Describe);

interface InstancesResults {
  engines: Record<string, { instances?: {
    plans: Array<{ key: string; instances: number; state: string }>;
    results: Record<string, { by: Record<string, { requests: number; non2xx: number; errors: number; reqPerSec: number; p99Ms: number; cpuUsPerReq: number; redisCpuUsPerReq?: number }> }>;
    ratios: Record<string, number | null>;
  } }>;
}

let output = '';
let results: Results;

// One run for both blocks below; with nginx and Redis here it includes the multi-instance mode.
beforeAll(async () => {
  const args = ['--require', 'tsx/cjs', 'bench/run.ts', '--requests', '100', '--connections', '10', '--reps', '1', '--long', '1', '--interleave', '1', '--bcrypt-cost', '10',
    '--seed', 'users=500,sessions=1000,audit=4000,articles=20', '--scale', '1000,3000', ...(instancesMissing.length === 0 ? ['--instances', '2'] : [])];
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '' };
  if (MYSQL_URL) env.BENCH_MYSQL_URL = MYSQL_URL;
  ({ stdout: output } = await run(process.execPath, args, { cwd: ROOT_DIR, env, timeout: 400_000 }));
  const file = /^Results: (.+\.json)$/m.exec(output)?.[1];
  if (!file) throw new Error(`no results file in:\n${output}`);
  results = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, file), 'utf8')) as Results;
  fs.rmSync(path.join(ROOT_DIR, file));
}, 410_000);

describe('npm run bench', () => {
  it('measures the four baselines, the bare refresh floor and every Gatehouse target on the empty and the seeded database, each answered without a failure', () => {
    // The login storm's three rows (alone, probed, the probe) come together for each dataset.
    const storm = ['POST /api/auth/login', 'POST /api/auth/login, probed', 'GET /healthz during login storm'];
    const gatehouse = GATEHOUSE.flatMap((label) => {
      if (label === storm[0]) return ['empty', 'seeded'].flatMap((dataset) => storm.map((row) => `${row} [${dataset}]`));
      return storm.includes(label) ? [] : [`${label} [empty]`, `${label} [seeded]`];
    });
    expect(results.rows.map((row) => `${row.engine}: ${row.label}${row.dataset ? ` [${row.dataset}]` : ''}`)).toEqual([
      'baseline: (a) ceiling: Express hello',
      'baseline: (b) floor: cookie + JWT verify + EJS',
      'baseline: (p) plain-JS floor: node, no loader',
      'baseline: (c) raw bcrypt.compare, cost 10',
      ...ENGINES.flatMap((engine) => [`${engine}: ${FLOOR_R} [empty]`, `${engine}: ${FLOOR_R} [seeded]`, ...gatehouse.map((label) => `${engine}: ${label}`)]),
    ]);
    // Each run answered its whole count: 100 requests, a tenth of that for the logins, raw bcrypt and the probe beside them.
    const counted = (label: string) => (/^(POST \/api\/auth\/login|\(c\)|GET \/healthz during)/.test(label) ? 10 : 100);
    for (const row of results.rows) {
      expect({ row: row.label, requests: row.median.requests, non2xx: row.median.non2xx, errors: row.median.errors, underflows: /underflows/.test(row.notes ?? '') })
        .toEqual({ row: row.label, requests: counted(row.label), non2xx: 0, errors: 0, underflows: false });
    }
  });

  it('reports seeded ÷ empty for every Gatehouse target, refreshes per core against the bare floor, and each instance\'s peak RSS', () => {
    for (const engine of ENGINES) {
      expect(results.datasetRatios.filter((r) => r.engine === engine).map((r) => r.label)).toEqual([FLOOR_R, ...GATEHOUSE]);
      for (const dataset of ['empty', 'seeded']) {
        expect(results.ratios[`${engine} ${dataset}: refreshes/s per core`]).toBeGreaterThan(0);
        expect(results.ratios[`${engine} ${dataset}: refresh ÷ bare floor (r), per core`]).toBeGreaterThan(0);
        expect(results.engines[engine]!.peakRssMb[dataset]).toBeGreaterThan(0);
      }
    }
    if (MYSQL_URL) expect(results.rows.find((r) => r.engine === 'mysql' && r.label.startsWith('POST /api/auth/refresh'))?.median.dbCpuUsPerReq).toBeGreaterThan(0);
  });

  it('reports the growth table: every growth target at each audit table size', () => {
    for (const engine of ENGINES) {
      const growth = results.engines[engine]!.growth!;
      expect(growth.map((level) => level.auditRows)).toEqual([1000, 3000]);
      for (const level of growth) expect(Object.keys(level.results)).toEqual(GROWTH);
      for (const level of growth) for (const key of GROWTH) expect(level.results[key]!.reqPerSec).toBeGreaterThan(0);
    }
    expect(output).toContain('growth, audit rows →');
  });

  it('reports every ratio of the issue, the interleaved /me ÷ floor, start-up and RSS flatness, per engine', () => {
    for (const engine of ENGINES) {
      for (const name of ['/me ÷ floor (b)', '/me ÷ floor (b), CPU/req', '/me ÷ plain floor (p)', '/me ÷ plain floor (p), CPU/req', 'login ÷ raw bcrypt (c)', '/me ÷ ceiling (a)']) {
        expect(results.ratios[`${engine}: ${name}`]).toBeGreaterThan(0);
      }
      const report = results.engines[engine]!;
      expect(report.interleaved?.reqRatios).toEqual([expect.any(Number)]);
      expect(report.interleaved!.reqRatios[0]).toBeGreaterThan(0);
      expect(report.interleavedPlain?.reqRatios[0]).toBeGreaterThan(0);
      expect(output).toContain(`${engine}: /me ÷ plain floor (p), interleaved`);
      expect(report.startupMs.length).toBeGreaterThan(0);
      expect(report.rss?.peakMb).toBeGreaterThan(0);
      expect(output).toContain(`${engine}: /me ÷ floor (b), interleaved`);
      expect(output).toContain(`${engine}: /healthz p99 in login storm`);
    }
  });
});

describeInstances('npm run bench -- --instances 2 (the same run)', () => {
  it('measures /me, /api/me and the rotation through nginx on 1 instance in memory, 1 in Redis and 2 in Redis, every run answered in full', () => {
    for (const engine of ENGINES) {
      const report = (results as unknown as InstancesResults).engines[engine]!.instances!;
      expect(report.plans.map((plan) => `${plan.key}: ${plan.instances} ${plan.state}`)).toEqual(['memory-1: 1 memory', 'redis-1: 1 redis', 'redis-2: 2 redis']);
      expect(Object.keys(report.results)).toEqual(['me', 'api-me', 'refresh-api']);
      for (const [key, { by }] of Object.entries(report.results)) {
        for (const plan of report.plans) {
          const r = by[plan.key]!;
          expect({ key, plan: plan.key, requests: r.requests, non2xx: r.non2xx, errors: r.errors, cpuRead: r.cpuUsPerReq > 0, redisRead: r.redisCpuUsPerReq! >= 0 })
            .toEqual({ key, plan: plan.key, requests: 100, non2xx: 0, errors: 0, cpuRead: true, redisRead: true });
        }
      }
    }
  });

  it('reports 2 instances ÷ 1 and Redis ÷ memory for /me, /api/me and refresh, and prints them with the p99s', () => {
    for (const engine of ENGINES) {
      const { ratios } = (results as unknown as InstancesResults).engines[engine]!.instances!;
      for (const name of ['/me', '/api/me', 'refresh']) {
        for (const ratio of ['2 instances ÷ 1, req/s', 'CPU/req, Redis ÷ memory', 'CPU/req, Redis ÷ memory, Redis\'s own CPU included', 'CPU/req, 2 instances ÷ 1']) {
          expect({ ratio: `${name}: ${ratio}`, positive: (ratios[`${name}: ${ratio}`] ?? 0) > 0 }).toEqual({ ratio: `${name}: ${ratio}`, positive: true });
        }
      }
      expect(output).toContain(`${engine}: behind nginx (deploy/nginx.conf, TLS)`);
      expect(output).toMatch(new RegExp(`GET /me \\(cookie\\) +1 instance, memory: \\d+, [\\d.]+, \\d+, \\d+ \\| 1 instance, Redis: .+ \\| 2 instances, Redis: `));
    }
  });
});

describe('the bench\'s options', () => {
  it('default to the issue\'s: 10 s, 50 connections, 3 repetitions, every target', () => {
    const opts = parseBenchArgs([], {});
    expect(opts).toMatchObject({
      durationS: 10, connections: 50, reps: 3, interleaveRounds: 6, bcryptCost: 12, gatehouse: 'dist', datasets: ['empty', 'seeded'],
      seed: { users: 100_000, sessions: 200_000, audit: 1_000_000, articles: 20_000 }, scale: [10_000, 100_000, 1_000_000],
    });
    expect([...opts.only]).toEqual(['hello', 'floor', 'plain', 'bcrypt', 'refresh-floor', 'me', 'me-bare', 'home', 'api-me', 'login', 'refresh', 'refresh-api',
      'admin-search', 'admin-users-deep', 'admin-users-typed', 'audit-user', 'audit-user-deep', 'audit-type', 'audit-type-deep', 'me-sessions', 'long', 'scale']);
  });

  it.each([
    [['--duration', '0'], /--duration must be a number of at least 1/],
    [['--requests', '0'], /--requests must be a number of at least 1/],
    [['--interleave=-1'], /--interleave must be a number of at least 0/],
    [['--connections', 'many'], /--connections must be a number/],
    [['--only', 'me,nope'], /--only: unknown target "nope"/],
    [['--loader', 'esm'], /--loader must be import or require/],
    [['--gatehouse', 'ts'], /--gatehouse must be dist or src/],
    [['--datasets', 'empty,full'], /--datasets: unknown dataset "full"/],
    [['--seed', 'users=many'], /--seed takes name=count pairs/],
    [['--seed', 'people=5'], /--seed takes name=count pairs/],
    [['--scale', '100,10'], /--scale takes growing audit table sizes/],
    [['--instances', '1'], /--instances must be a number of at least 2/],
  ])('refuse %j with a message saying what is wrong', (argv, message) => {
    expect(() => parseBenchArgs(argv, {})).toThrow(message);
  });
});
