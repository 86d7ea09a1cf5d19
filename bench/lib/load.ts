import autocannon from 'autocannon';
import type { ServerProcess } from './processes';

/** One request shape for autocannon; `setupRequest`/`onResponse` make a client that follows Set-Cookie. */
export interface LoadRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: { headers: Record<string, string> }) => { headers: Record<string, string> };
  onResponse?: (status: number, body: string, context: unknown, headers: Record<string, string | string[]>) => void;
}

/** How long the load lasts: for `durationS` seconds, or until `amount` requests are answered. */
export type Span = { durationS: number } | { amount: number };

/** A run of `durationS` seconds, or with --requests of that many requests (see BenchOptions.requests). */
export function spanOf(opts: { requests?: number }, durationS: number): Span {
  return opts.requests ? { amount: opts.requests } : { durationS };
}

export type LoadOptions = {
  port: number;
  /** Where the load goes, e.g. nginx's https://localhost:PORT; unset: http://127.0.0.1:port. */
  url?: string;
  request: LoadRequest;
  connections: number;
  timeoutS?: number;
} & Span;

export interface LoadResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Server CPU time (all threads) per completed request: steadier than req/s on a shared machine. */
  cpuUsPerReq?: number;
  /** The database server's CPU time per request (MariaDB on this machine), when it can be read. */
  dbCpuUsPerReq?: number;
  /** The Redis server's CPU time per request, in the multi-instance mode (lib/cluster.ts). */
  redisCpuUsPerReq?: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { port, request, connections, timeoutS = 10 } = options;
  const result = await autocannon({
    url: options.url ?? `http://127.0.0.1:${port}`,
    // autocannon opens every connection first: never more than the requests of a counted run.
    connections: 'amount' in options ? Math.min(connections, options.amount) : connections,
    // A counted run ends at the first sample after its last answer: sample often, or each run lasts a whole second.
    ...('amount' in options ? { amount: options.amount, sampleInt: 20 } : { duration: options.durationS }),
    timeout: timeoutS,
    requests: [{
      method: request.method ?? 'GET',
      path: request.path,
      headers: request.headers ?? {},
      body: request.body,
      ...(request.setupRequest ? { setupRequest: request.setupRequest as never } : {}),
      ...(request.onResponse ? { onResponse: request.onResponse as never } : {}),
    }],
  });
  const seconds = result.duration > 0 ? result.duration : 'durationS' in options ? options.durationS : 1;
  return {
    reqPerSec: result.requests.total / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** A run where any answer was not 2xx, or any request failed, measured something else: stop. */
export function requireAnswered(result: LoadResult, who: string): void {
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${who}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
}

/** A burst of load on one server process, with that process's CPU time per answered request. */
export async function cpuBurst(server: Pick<ServerProcess, 'name' | 'port' | 'cpuMs'>, request: LoadRequest, connections: number, span: Span): Promise<LoadResult & { cpuUsPerReq: number }> {
  const cpuBefore = server.cpuMs();
  const result = await runLoad({ port: server.port, request, connections, ...span });
  requireAnswered(result, server.name);
  return { ...result, cpuUsPerReq: ((server.cpuMs() - cpuBefore) * 1000) / Math.max(result.requests, 1) };
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The median of each figure over the repetitions (each figure on its own). */
export function medianOf(results: LoadResult[]): LoadResult {
  const pick = (key: 'reqPerSec' | 'p50Ms' | 'p99Ms' | 'maxMs' | 'requests') => median(results.map((r) => r[key]));
  return {
    reqPerSec: pick('reqPerSec'),
    p50Ms: pick('p50Ms'),
    p99Ms: pick('p99Ms'),
    maxMs: pick('maxMs'),
    requests: pick('requests'),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    timeouts: results.reduce((sum, r) => sum + r.timeouts, 0),
    cpuUsPerReq: results.some((r) => r.cpuUsPerReq !== undefined) ? median(results.map((r) => r.cpuUsPerReq ?? NaN)) : undefined,
    dbCpuUsPerReq: results.some((r) => r.dbCpuUsPerReq !== undefined) ? median(results.map((r) => r.dbCpuUsPerReq ?? NaN)) : undefined,
    redisCpuUsPerReq: results.some((r) => r.redisCpuUsPerReq !== undefined) ? median(results.map((r) => r.redisCpuUsPerReq ?? NaN)) : undefined,
  };
}
