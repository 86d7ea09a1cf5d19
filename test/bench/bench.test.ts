import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseBenchArgs } from '../../bench/lib/args';
import { ROOT_DIR } from '../../src/config/env';

/**
 * `npm run bench` end to end, cut short (1 s per target, no warm-up): every server starts, every
 * target is answered without a single failure, and every ratio the issue asks for is reported
 * and written to the results file. On MariaDB too when TEST_MYSQL_URL is set. No figure is
 * judged here: on a shared machine timings belong to the bench, not to the tests.
 */
const run = promisify(execFile);
const MYSQL_URL = process.env.TEST_MYSQL_URL;
const ENGINES = MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];

interface Results {
  rows: Array<{ label: string; engine: string; median: { requests: number; non2xx: number; errors: number; reqPerSec: number } }>;
  ratios: Record<string, number | null>;
  engines: Record<string, { startupMs: number[]; interleaved?: { reqRatios: number[]; cpuRatios: number[] }; rss?: { peakMb: number } }>;
}

describe('npm run bench', () => {
  let output = '';
  let results: Results;

  beforeAll(async () => {
    const args = ['--require', 'tsx/cjs', 'bench/run.ts', '--duration', '1', '--reps', '1', '--warmup', '0', '--long', '2', '--interleave', '1', '--bcrypt-cost', '10'];
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '' };
    if (MYSQL_URL) env.BENCH_MYSQL_URL = MYSQL_URL;
    ({ stdout: output } = await run(process.execPath, args, { cwd: ROOT_DIR, env, timeout: 240_000 }));
    const file = /^Results: (.+\.json)$/m.exec(output)?.[1];
    if (!file) throw new Error(`no results file in:\n${output}`);
    results = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, file), 'utf8')) as Results;
    fs.rmSync(path.join(ROOT_DIR, file));
  }, 250_000);

  it('measures the three baselines and every Gatehouse target, each answered without a failure', () => {
    const gatehouse = ['GET /me (cookie)', 'GET / (anonymous)', 'GET /api/me (Bearer)', 'POST /api/auth/login', 'POST /api/auth/login, probed',
      'GET /healthz during login storm', 'GET /me (silent refresh)'];
    expect(results.rows.map((row) => `${row.engine}: ${row.label}`)).toEqual([
      'baseline: (a) ceiling: Express hello',
      'baseline: (b) floor: cookie + JWT verify + EJS',
      'baseline: (c) raw bcrypt.compare, cost 10',
      ...ENGINES.flatMap((engine) => gatehouse.map((label) => `${engine}: ${label}`)),
    ]);
    for (const row of results.rows) {
      expect({ row: row.label, requests: row.median.requests > 0, non2xx: row.median.non2xx, errors: row.median.errors })
        .toEqual({ row: row.label, requests: true, non2xx: 0, errors: 0 });
    }
  });

  it('reports every ratio of the issue, the interleaved /me ÷ floor, start-up and RSS flatness, per engine', () => {
    for (const engine of ENGINES) {
      for (const name of ['/me ÷ floor (b)', '/me ÷ floor (b), CPU/req', 'login ÷ raw bcrypt (c)', '/me ÷ ceiling (a)']) {
        expect(results.ratios[`${engine}: ${name}`]).toBeGreaterThan(0);
      }
      const report = results.engines[engine]!;
      expect(report.interleaved?.reqRatios).toEqual([expect.any(Number)]);
      expect(report.interleaved!.reqRatios[0]).toBeGreaterThan(0);
      expect(report.startupMs.length).toBeGreaterThan(0);
      expect(report.rss?.peakMb).toBeGreaterThan(0);
      expect(output).toContain(`${engine}: /me ÷ floor (b), interleaved`);
      expect(output).toContain(`${engine}: /healthz p99 in login storm`);
    }
  });
});

describe('the bench\'s options', () => {
  it('default to the issue\'s: 10 s, 50 connections, 3 repetitions, every target', () => {
    const opts = parseBenchArgs([], {});
    expect(opts).toMatchObject({ durationS: 10, connections: 50, reps: 3, interleaveRounds: 6, bcryptCost: 12, gatehouse: 'dist' });
    expect([...opts.only]).toEqual(['hello', 'floor', 'bcrypt', 'me', 'home', 'api-me', 'login', 'refresh', 'long']);
  });

  it.each([
    [['--duration', '0'], /--duration must be a number of at least 1/],
    [['--interleave=-1'], /--interleave must be a number of at least 0/],
    [['--connections', 'many'], /--connections must be a number/],
    [['--only', 'me,nope'], /--only: unknown target "nope"/],
    [['--loader', 'esm'], /--loader must be import or require/],
    [['--gatehouse', 'ts'], /--gatehouse must be dist or src/],
  ])('refuse %j with a message saying what is wrong', (argv, message) => {
    expect(() => parseBenchArgs(argv, {})).toThrow(message);
  });
});
