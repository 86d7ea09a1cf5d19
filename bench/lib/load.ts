import autocannon from 'autocannon';

/** One request shape for autocannon; `setupRequest`/`onResponse` make a client that follows Set-Cookie. */
export interface LoadRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: { headers: Record<string, string> }) => { headers: Record<string, string> };
  onResponse?: (status: number, body: string, context: unknown, headers: Record<string, string | string[]>) => void;
}

export interface LoadOptions {
  port: number;
  request: LoadRequest;
  connections: number;
  durationS: number;
  timeoutS?: number;
}

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
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { port, request, connections, durationS, timeoutS = 10 } = options;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: durationS,
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
  const seconds = result.duration > 0 ? result.duration : durationS;
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
  };
}
