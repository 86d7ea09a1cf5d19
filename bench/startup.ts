import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createWorkspace, gatehouseEnv, seedDatabase } from './lib/fixture';
import { median } from './lib/load';
import { freePort, ROOT, sleep, startScriptFlags } from './lib/processes';

const USAGE = `npm run bench:startup -- [--runs 9]
Starts Gatehouse --runs times from dist/ (as npm start runs it) and from its sources through tsx
(as npm start ran it before the build), alternating, on one migrated SQLite database, and prints
the time from spawn to the first GET /readyz answering 200.`;

const MODES = {
  dist: ['dist/server.js'],
  tsx: ['--require', 'tsx/cjs', 'src/server.ts'],
} as const;

function readyz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/readyz', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

/** Milliseconds from spawn to /readyz 200, polling every 5 ms. */
async function timeToReady(args: readonly string[], env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...startScriptFlags(), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) }, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
      if ((await readyz(port)) === 200) return Number(process.hrtime.bigint() - started) / 1e6;
      await sleep(5);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const runs = Number(values.runs ?? 9);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number of at least 1\n${USAGE}`);
  execFileSync(process.execPath, ['scripts/build.js', '--if-needed'], { cwd: ROOT, stdio: 'inherit' });
  const ws = createWorkspace();
  try {
    const databaseUrl = `sqlite:${path.join(ws.dir, 'startup.sqlite')}`;
    await seedDatabase(databaseUrl, 10);
    const env = gatehouseEnv(ws, databaseUrl, 10);
    const times: Record<keyof typeof MODES, number[]> = { dist: [], tsx: [] };
    for (let run = 0; run < runs; run += 1) {
      // Alternating, and the order flipped each round, so a busy neighbour slows both alike.
      const order = (run % 2 === 0 ? ['dist', 'tsx'] : ['tsx', 'dist']) as Array<keyof typeof MODES>;
      for (const mode of order) times[mode].push(await timeToReady(MODES[mode], env));
    }
    for (const [mode, list] of Object.entries(times)) {
      const sorted = [...list].sort((a, b) => a - b);
      process.stdout.write(`${mode.padEnd(5)} start-up to /readyz 200: median ${median(list).toFixed(0)} ms, range ${sorted[0]!.toFixed(0)}–${sorted.at(-1)!.toFixed(0)} ms over ${list.length} starts\n`);
    }
  } finally {
    ws.remove();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
