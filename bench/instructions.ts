import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createWorkspace, gatehouseEnv, seedDatabase, Workspace } from './lib/fixture';
import { requireAnswered, runLoad } from './lib/load';
import { freePort, ROOT, sleep, startScriptFlags } from './lib/processes';
import { removeTrees, resolveTrees, Tree } from './lib/trees';
import { GATEHOUSE_TARGETS } from './targets';

const USAGE = `npm run bench:instructions -- [--target me] [--requests 2000] [--warmup 3000] [--keep DIR] [TREE ...]
Needs valgrind (Debian: apt-get install valgrind). TREE as for bench:compare (default: HEAD and
the working tree). --keep DIR keeps each callgrind file there (callgrind_annotate FILE).`;

/**
 * CPU instructions per request, counted by valgrind's callgrind: the same code gives the same
 * count (about ±2 % here, from JIT and GC timing) whatever else the machine is doing, where
 * time per request moves by ±10 %. Each tree's server starts under valgrind with counting off,
 * takes `warmup` requests (one connection, so the JIT settles on the steady state), counts the
 * next `requests` with every thread included, and stops. Trees run side by side.
 *
 * Under valgrind a request is ~50× slower, so the one-second caches (revocation check) expire
 * every few dozen requests instead of every few thousand: absolute counts include more SQL
 * than a real run. Compare trees with each other, not with `npm run bench`.
 */
interface Counted {
  tree: Tree;
  perRequest: number;
  file: string;
}

const BCRYPT_COST = 10; // the lowest production accepts; only the sign-in before warm-up pays it

async function count(tree: Tree, index: number, ws: Workspace, opts: { targetKey: string; requests: number; warmup: number; outDir: string }): Promise<Counted> {
  const databaseUrl = `sqlite:${path.join(ws.dir, `tree-${index}.sqlite`)}`;
  await seedDatabase(databaseUrl, BCRYPT_COST);
  const port = await freePort();
  const file = path.join(opts.outDir, `callgrind.tree-${index}.out`);
  // callgrind_control finds the process by the LOGNAME and HOST of its environment (HOST is
  // also the server's listen address): both sides get the same.
  const names = { LOGNAME: 'gatehouse-bench', HOST: '127.0.0.1' };
  const child = spawn('valgrind', [
    '--tool=callgrind', '--instr-atstart=no', '--smc-check=all', `--callgrind-out-file=${file}`,
    process.execPath, ...startScriptFlags(tree.dir), '--require', 'tsx/cjs', path.join(tree.dir, 'src', 'server.ts'),
  ], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...gatehouseEnv(ws, databaseUrl, BCRYPT_COST), ...names, PORT: String(port) },
    stdio: ['ignore', 'ignore', fs.openSync(ws.log(`tree-${index}`), 'w')],
  });
  const control = (on: boolean) => execFileSync('callgrind_control', ['-i', on ? 'on' : 'off', String(child.pid)], {
    env: { ...process.env, ...names },
    stdio: 'ignore',
  });
  try {
    for (const deadline = Date.now() + 300_000; ; await sleep(500)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${tree.label} did not start under valgrind (see ${ws.log(`tree-${index}`)})`);
      // /readyz is 503 until migrated (a tree from before it answers 404 once listening).
      if (await fetch(`http://127.0.0.1:${port}/readyz`).then((res) => res.status !== 503, () => false)) break;
    }
    const target = GATEHOUSE_TARGETS.find((t) => t.key === opts.targetKey)!;
    const request = await target.prepare(port, 1);
    // One connection: requests one after another, as the JIT sees them in steady state.
    const fire = async (amount: number) => requireAnswered(await runLoad({ port, request, connections: 1, amount, timeoutS: 120 }), tree.label);
    await fire(opts.warmup);
    control(true);
    await fire(opts.requests);
    control(false);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
  const totals = /^totals:\s*(\d+)/m.exec(fs.readFileSync(file, 'utf8'));
  if (!totals) throw new Error(`no totals in ${file}`);
  return { tree, perRequest: Number(totals[1]) / opts.requests, file };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { target: { type: 'string' }, requests: { type: 'string' }, warmup: { type: 'string' }, keep: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const targetKey = values.target ?? 'me';
  const requests = Number(values.requests ?? 2000);
  const warmup = Number(values.warmup ?? 3000);
  if (!GATEHOUSE_TARGETS.some((t) => t.key === targetKey) || targetKey === 'login' || !(requests >= 1) || !(warmup >= 0)) throw new Error(USAGE);
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(`valgrind is not installed.\n${USAGE}`);
  }

  const ws = createWorkspace();
  const outDir = values.keep ? path.resolve(values.keep) : ws.dir;
  fs.mkdirSync(outDir, { recursive: true });
  const trees = resolveTrees(positionals, ws.dir);
  try {
    process.stdout.write(`${targetKey}: ${warmup} requests to warm up, ${requests} counted, one connection, under valgrind\n`);
    const counted = await Promise.all(trees.map((tree, i) => count(tree, i, ws, { targetKey, requests, warmup, outDir })));
    const first = counted[0]!;
    for (const c of counted) {
      process.stdout.write(`${c.tree.label.padEnd(24)} ${(c.perRequest / 1000).toFixed(0).padStart(6)}k instructions/request  `
        + `${(c.perRequest / first.perRequest).toFixed(2)}× ${first.tree.label}${values.keep ? `  ${c.file}` : ''}\n`);
    }
  } finally {
    removeTrees(trees);
    ws.remove();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:instructions failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
