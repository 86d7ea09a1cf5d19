import type { BenchOptions } from './args';
import type { Workspace } from './fixture';
import { ServerProcess, startScriptFlags, startServer } from './processes';

/**
 * Gatehouse as one run serves it: what the load is sent to, and whose CPU and memory are read.
 * One process, started exactly as `npm start` starts it (deployGatehouse), or several behind
 * nginx (lib/cluster.ts, --instances N): then `url` is the proxy's, `port` the first instance's
 * (where a target signs in), the CPU the sum of the instances' and the RSS the largest.
 */
export type Deployment = Omit<ServerProcess, 'pid'> & { url?: string };

export interface DeployRequest {
  ws: Workspace;
  opts: BenchOptions;
  /** For process names and log files, e.g. gatehouse-sqlite-seeded. */
  name: string;
  env: Record<string, string>;
}

/** `npm start`'s node flags, then any --node-flags given to the bench (later flags win). */
export function gatehouseFlags(opts: BenchOptions): string[] {
  return [...startScriptFlags(), ...opts.nodeFlags];
}

export async function deployGatehouse({ ws, opts, name, env }: DeployRequest): Promise<Deployment> {
  const fromDist = opts.gatehouse === 'dist';
  return startServer(name, fromDist ? 'dist/server.js' : 'src/server.ts', env, ws.log(name), {
    waitReady: true, loader: fromDist ? 'none' : opts.loader, cpuProfileDir: opts.cpuProfileDir, nodeFlags: gatehouseFlags(opts),
  });
}
