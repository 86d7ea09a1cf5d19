import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { bcryptSlots, libuvPoolSize } from '../src/lib/threadpool';
import { parseBenchArgs } from './lib/args';
import { bcryptBaseline, measureHttpBaselines } from './lib/baselines';
import { gatehouseFlags } from './lib/deployments';
import { clusterMissing } from './lib/cluster';
import { benchEngine, EngineContext, EngineReport } from './lib/engine';
import { createScratchMysql, createWorkspace } from './lib/fixture';
import { findProcess, ROOT } from './lib/processes';
import { describeCode, formatMarkdown, formatTable, Row, writeResults } from './lib/report';
import { computeRatios, datasetRatios, formatSummary } from './lib/summary';

/**
 * npm run bench: Gatehouse against its own ceiling (bare Express), floors (cookie + JWT verify +
 * EJS, under tsx and as plain JavaScript), raw bcrypt and the bare refresh rotation, each in its
 * own process on 127.0.0.1; every Gatehouse target on an empty and a seeded database side by
 * side, per engine; then the growth table. Nothing here is a test: the machine is shared and
 * noisy, so read the ratios, not the absolute numbers.
 *
 * The phases: baselines (lib/baselines.ts), then per engine (lib/engine.ts) the datasets, the
 * targets on one deployment per dataset (lib/deployments.ts: how Gatehouse is served, the place
 * for a mode with several instances), the long RSS run, the interleaved floors, the growth table,
 * and with --instances N the multi-instance mode behind nginx (lib/instances.ts).
 */
async function main(): Promise<void> {
  const opts = parseBenchArgs(process.argv.slice(2), process.env);
  const loadBefore = os.loadavg();
  const ws = createWorkspace();
  const rows: Row[] = [];
  const engines: Record<string, EngineReport> = {};
  process.stdout.write(`Gatehouse bench: ${opts.requests ? `${opts.requests} requests` : `${opts.durationS}s`} × ${opts.reps} per target, ${opts.connections} connections, bcrypt cost ${opts.bcryptCost}, `
    + `UV_THREADPOOL_SIZE ${opts.threadpool ?? 'unset (libuv default 4)'}, bcrypt slots ${bcryptSlots(libuvPoolSize({ UV_THREADPOOL_SIZE: opts.threadpool }))}, `
    + `${opts.instances ? `--instances ${opts.instances} behind nginx, ` : ''}datasets ${opts.datasets.join(' + ')} (seeded: ${Object.entries(opts.seed).map(([k, v]) => `${k} ${v}`).join(', ')}), `
    + `Gatehouse runs with node ${gatehouseFlags(opts).map((flag) => `${flag} `).join('')}${opts.gatehouse === 'dist' ? 'dist/server.js' : `--${opts.loader} ${opts.loader === 'import' ? 'tsx' : 'tsx/cjs'} src/server.ts`}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`);
  if (opts.instances && clusterMissing().length > 0) throw new Error(`--instances: ${clusterMissing().join('; ')}`);
  // As npm start does: compile first when a source is newer than dist/.
  if (opts.gatehouse === 'dist') execFileSync(process.execPath, ['scripts/build.js', '--if-needed'], { cwd: ROOT, stdio: 'inherit' });
  try {
    await measureHttpBaselines(ws, opts, rows);
    if (opts.only.has('bcrypt')) await bcryptBaseline(opts, rows);
    const sqlite: EngineContext = {
      ws, opts, engine: 'sqlite',
      createDatabase: async (name) => ({ url: `sqlite:${path.join(ws.dir, `${name}.sqlite`)}`, drop: async () => undefined }),
    };
    engines.sqlite = await benchEngine(sqlite, rows);
    if (opts.mysqlUrl) {
      const local = ['127.0.0.1', 'localhost', '::1'].includes(new URL(opts.mysqlUrl).hostname);
      const mysql: EngineContext = {
        ws, opts, engine: 'mysql',
        createDatabase: () => createScratchMysql(opts.mysqlUrl!),
        // Its CPU is read only when it runs here: per-core figures then count the database's share too.
        dbPid: local ? findProcess(['mariadbd', 'mysqld']) : undefined,
      };
      engines.mysql = await benchEngine(mysql, rows);
    }
  } finally {
    ws.remove();
  }

  const ratios = computeRatios(rows, Object.keys(engines));
  const loadAfter = os.loadavg();
  process.stdout.write(`\n${formatTable(rows)}\n\n${formatSummary(rows, engines, ratios, loadBefore, loadAfter)}\n`);
  const file = writeResults({
    when: new Date().toISOString(),
    code: describeCode(),
    machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model, memoryGb: os.totalmem() / 2 ** 30, node: process.version, loadBefore, loadAfter },
    options: { ...opts, only: [...opts.only], mysqlUrl: opts.mysqlUrl ? 'set' : undefined },
    rows,
    ratios,
    datasetRatios: datasetRatios(rows, Object.keys(engines)),
    engines,
    markdown: formatMarkdown(rows),
  });
  process.stdout.write(`Results: ${path.relative(ROOT, file)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
