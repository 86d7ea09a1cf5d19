import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** A server under test, in its own process: its RSS is its own and it never shares the load generator's event loop. */
export interface ServerProcess {
  name: string;
  pid: number;
  port: number;
  /** From spawn to the first accepted TCP connection. */
  startupMs: number;
  peakRssMb(): number;
  rssMb(): number;
  /** CPU time used so far by every thread of the process, in ms (10 ms resolution). */
  cpuMs(): number;
  /** Waits until the process has used under 5% of a core for a while: queued work (bcrypt) is done. */
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * How TypeScript is loaded: `require` is what `npm start` runs, tsx's CommonJS hook alone
 * (`node --require tsx/cjs`); `import` is tsx's ESM loader, with a thread of its own.
 */
export type Loader = 'import' | 'require' | 'none';

/** `none`: compiled JavaScript (dist/server.js, as npm start runs it). */
export function loaderArgs(loader: Loader): string[] {
  if (loader === 'none') return [];
  return loader === 'import' ? ['--import', 'tsx'] : ['--require', 'tsx/cjs'];
}

/**
 * The node flags of `npm start` (package.json), e.g. the heap settings: the bench runs Gatehouse
 * with exactly those, so what it measures is what `npm start` runs.
 */
export function startScriptFlags(root = ROOT): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return (pkg.scripts.start ?? '').split(/\s+/).filter((word) => word.startsWith('--') && word !== '--require' && word !== '--import');
}

export interface StartOptions {
  loader?: Loader;
  /** Write a V8 CPU profile there when the process exits (server.ts exits on SIGTERM). */
  cpuProfileDir?: string;
  /** Node flags before the loader, e.g. npm start's heap settings. */
  nodeFlags?: string[];
  /** A plain JavaScript file, run by node itself with no TypeScript loader (the plain floor). */
  plainNode?: boolean;
  /** Gatehouse listens before it has migrated: wait until GET /readyz stops answering 503 (a tree without it answers 404). */
  waitReady?: boolean;
}

/** Runs a TypeScript entry point as `node --require tsx/cjs FILE` (as npm start does), so the PID we watch is the server itself. */
export async function startServer(name: string, script: string, env: Record<string, string>, logFile: string, options: StartOptions = {}): Promise<ServerProcess> {
  const { loader = 'require', cpuProfileDir, nodeFlags = [], plainNode = false, waitReady = false } = options;
  const port = await freePort();
  const out = fs.openSync(logFile, 'a');
  const started = process.hrtime.bigint();
  const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...nodeFlags, ...profile, ...(plainNode ? [] : loaderArgs(loader)), script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, child, 20_000);
    if (waitReady) await waitUntilReady(port, child, 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
    throw new Error(`${name} did not start: ${(error as Error).message}\n${tail}`);
  }
  const startupMs = Number(process.hrtime.bigint() - started) / 1e6;
  const pid = child.pid ?? 0;
  return {
    name,
    pid,
    port,
    startupMs,
    peakRssMb: () => readStatusKb(pid, 'VmHWM') / 1024,
    rssMb: () => readStatusKb(pid, 'VmRSS') / 1024,
    cpuMs: () => cpuTicks(pid) * 10,
    settle: (timeoutMs = 30_000) => settle(pid, timeoutMs),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 12_000);
      await exited;
      clearTimeout(force);
    },
  };
}

async function waitUntilReady(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const status = await fetch(`http://127.0.0.1:${port}/readyz`).then((res) => res.status, () => 0);
    if (status !== 0 && status !== 503) return;
    await sleep(5);
  }
  throw new Error(`GET /readyz still answered 503 after ${timeoutMs} ms`);
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if (await canConnect(port)) return;
    await sleep(5);
  }
  throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A line of /proc/PID/status in kB (VmHWM is the peak resident set, VmRSS the current one). */
export function readStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU time used so far by every thread of any process (e.g. the database server), in ms. */
export function processCpuMs(pid: number): number {
  return cpuTicks(pid) * 10;
}

/** The pid of a running process by its name (e.g. mariadbd), or undefined. */
export function findProcess(names: string[]): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.includes(fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

/** utime + stime of every thread of the process, in clock ticks (1/100 s). */
function cpuTicks(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

async function settle(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSamples = 0;
  let last = cpuTicks(pid);
  while (Date.now() < deadline && quietSamples < 2) {
    await sleep(200);
    const now = cpuTicks(pid);
    quietSamples = now - last <= 1 ? quietSamples + 1 : 0;
    last = now;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
