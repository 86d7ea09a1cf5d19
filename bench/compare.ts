import path from 'node:path';
import { parseArgs } from 'node:util';
import { createWorkspace, gatehouseEnv, seedDatabase } from './lib/fixture';
import { cpuBurst, median, runLoad } from './lib/load';
import { ServerProcess, startScriptFlags, startServer } from './lib/processes';
import { removeTrees, resolveTrees, Tree } from './lib/trees';
import { GATEHOUSE_TARGETS } from './targets';

const USAGE = `npm run bench:compare -- [--target me] [--rounds 10] [--burst 2] [--connections 50] [TREE ...]
TREE is a folder holding a Gatehouse checkout, or a git revision (checked out into a temporary
worktree that shares this checkout's node_modules). Default: HEAD against the working tree.
Trees must share this checkout's migrations (the database is seeded with them).`;

interface Contender {
  tree: Tree;
  server: ServerProcess;
  request: Awaited<ReturnType<(typeof GATEHOUSE_TARGETS)[number]['prepare']>>;
  cpuMs: number;
  requests: number;
  seconds: number;
  bursts: number[];
}

/**
 * Before/after comparisons on a noisy machine: every tree's server runs at once, and the load
 * goes to each in turn, in short bursts, for many rounds, alternating the order. A neighbour
 * slowing the machine down slows every tree alike, where runs one after the other (npm run
 * bench, twice) differ by ±10 % on their own. Reports the CPU time per request over all
 * bursts and its ratio to the first tree.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { target: { type: 'string' }, rounds: { type: 'string' }, burst: { type: 'string' }, connections: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const target = GATEHOUSE_TARGETS.find((t) => t.key === (values.target ?? 'me'));
  const rounds = Number(values.rounds ?? 10);
  const burstS = Number(values.burst ?? 2);
  const connections = Number(values.connections ?? 50);
  if (!target || target.key === 'login' || !(rounds >= 1) || !(burstS >= 1) || !(connections >= 1)) throw new Error(USAGE);

  const ws = createWorkspace();
  const trees: Tree[] = [];
  const contenders: Contender[] = [];
  try {
    trees.push(...resolveTrees(positionals, ws.dir));
    for (const [i, tree] of trees.entries()) {
      const databaseUrl = `sqlite:${path.join(ws.dir, `tree-${i}.sqlite`)}`;
      await seedDatabase(databaseUrl, 12);
      const server = await startServer(tree.label, path.join(tree.dir, 'src', 'server.ts'), gatehouseEnv(ws, databaseUrl, 12), ws.log(`tree-${i}`), {
        nodeFlags: startScriptFlags(tree.dir), waitReady: true,
      });
      let request;
      try {
        request = await target.prepare(server.port, connections);
        await runLoad({ port: server.port, request, connections, durationS: burstS }); // warm-up
      } catch (error) {
        await server.stop();
        throw error;
      }
      contenders.push({ tree, server, request, cpuMs: 0, requests: 0, seconds: 0, bursts: [] });
    }
    process.stdout.write(`${target.label}: ${rounds} rounds of ${burstS} s per tree, ${connections} connections\n`);
    for (let round = 0; round < rounds; round += 1) {
      for (const c of round % 2 === 0 ? contenders : [...contenders].reverse()) {
        const result = await cpuBurst(c.server, c.request, connections, { durationS: burstS });
        c.cpuMs += (result.cpuUsPerReq * result.requests) / 1000;
        c.requests += result.requests;
        c.seconds += burstS;
        c.bursts.push(result.cpuUsPerReq);
      }
    }
    const first = contenders[0]!;
    const cpuPerReq = (c: Contender) => (c.cpuMs * 1000) / c.requests;
    for (const c of contenders) {
      process.stdout.write(`${c.tree.label.padEnd(24)} ${(c.requests / c.seconds).toFixed(0).padStart(6)} req/s  `
        + `CPU ${cpuPerReq(c).toFixed(0).padStart(4)} µs/req (bursts: median ${median(c.bursts).toFixed(0)}, `
        + `${Math.min(...c.bursts).toFixed(0)}–${Math.max(...c.bursts).toFixed(0)})  `
        + `${(cpuPerReq(c) / cpuPerReq(first)).toFixed(2)}× ${first.tree.label}'s CPU per request  peak RSS ${c.server.peakRssMb().toFixed(0)} MB\n`);
    }
  } finally {
    for (const c of contenders) await c.server.stop();
    removeTrees(trees);
    ws.remove();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:compare failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
