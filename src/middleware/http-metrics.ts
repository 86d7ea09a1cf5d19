import path from 'node:path';
import type { Request, Response } from 'express';
import type { Metric } from 'prom-client';
import type { Metrics } from '../lib/metrics';
import type { RouteTable } from '../lib/route-table';
import type { RequestObserver } from './request-logger';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Seconds: from a cached page (a few ms) to a login at a high bcrypt cost. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DURATION = 'gatehouse_http_request_duration_seconds';
const REQUESTS = 'gatehouse_http_requests_total';

interface Series {
  labels: { method: string; route: string; status: string };
  /** Requests per bucket (not cumulative); the last slot is above the largest bound. */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * Counts every request and its duration by method, route pattern and status. The route is the
 * pattern a router declared (`/articles/:id`), never the path sent: an id, a username in a query
 * or a scanner's garbage can never become a label. A request refused by a router-wide gate
 * (/admin's role check) before its route ran still gets that route's pattern; one that no route
 * declares is `static` (a file from public/) or `unmatched` (a 404). A client that left before
 * the answer has status `aborted`.
 *
 * It runs on the request logger's listener (one 'close' listener per request, not two). Why not
 * prom-client's Histogram: its observe() validates and hashes the labels on every call, which
 * measured 2–3 % of /me's CPU; here a request costs two Map lookups and a few additions, and the
 * series are handed to prom-client's registry (which formats any object with a `get()`) at
 * scrape time. The set of series is bounded: methods × routes × statuses.
 */
export function httpMetrics(metrics: Metrics, table: () => RouteTable | undefined): RequestObserver {
  const series = new Map<string, Map<number, Series>>();
  const all = () => [...series.values()].flatMap((byCode) => [...byCode.values()]);
  register(metrics, REQUESTS, 'counter', 'HTTP requests by method, route pattern and status', () =>
    all().map((s) => ({ labels: s.labels, value: s.count })));
  register(metrics, DURATION, 'histogram', 'HTTP request duration by method, route pattern and status', () =>
    all().flatMap((s) => histogramValues(s)));

  return function countRequest(req: Request, res: Response, seconds: number): void {
    const route = routeLabel(req, table());
    const method = METHODS.indexOf(req.method);
    const status = res.writableFinished ? res.statusCode : 0;
    let byCode = series.get(route);
    if (!byCode) series.set(route, (byCode = new Map()));
    const code = (method + 1) * 1000 + status;
    let one = byCode.get(code);
    if (!one) {
      const labels = { method: method === -1 ? 'other' : req.method, route, status: status === 0 ? 'aborted' : String(status) };
      byCode.set(code, (one = { labels, buckets: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0, count: 0 }));
    }
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket += 1;
    one.buckets[bucket]! += 1;
    one.sum += seconds;
    one.count += 1;
  };
}

function routeLabel(req: Request, table: RouteTable | undefined): string {
  const pattern = table?.patternOf(req.route);
  if (pattern) return pattern;
  const urlPath = req.originalUrl.split('?', 1)[0] ?? '';
  return table?.patternFor(req.method, urlPath) ?? (path.extname(urlPath) ? 'static' : 'unmatched');
}

/** The exposition of one series, as prom-client's own Histogram writes it (cumulative buckets, +Inf, _sum, _count). */
function histogramValues(s: Series) {
  let cumulative = 0;
  const buckets = BUCKETS.map((bound, i) => {
    cumulative += s.buckets[i]!;
    return { labels: { le: bound }, sharedLabels: s.labels, value: cumulative, metricName: `${DURATION}_bucket` };
  });
  return [
    ...buckets,
    { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: `${DURATION}_bucket` },
    { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${DURATION}_sum` },
    { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${DURATION}_count` },
  ];
}

/** A metric whose values are read at scrape time; prom-client's registry asks only for name, type and get(). */
function register(metrics: Metrics, name: string, type: 'counter' | 'histogram', help: string, values: () => unknown[]): void {
  const metric = { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }), reset: () => undefined };
  metrics.registry.registerMetric(metric as unknown as Metric);
}
