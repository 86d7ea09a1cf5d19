import path from 'node:path';
import type { Request, Response } from 'express';
import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '../lib/metrics';
import type { RouteTable } from '../lib/route-table';
import type { RequestObserver } from './request-logger';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Seconds: from a cached page (a few ms) to a login at a high bcrypt cost. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LABELS = ['method', 'route', 'status'];

/**
 * Counts every request and its duration by method, route pattern and status. The route is the
 * pattern a router declared (`/articles/:id`), never the path sent: an id, a username in a query
 * or a scanner's garbage can never become a label. A request refused by a router-wide gate
 * (/admin's role check) before its route ran still gets that route's pattern; one that no route
 * declares is `static` (a file from public/) or `unmatched` (a 404). A client that left before
 * the answer has status `aborted`.
 *
 * It runs on the request logger's listener (one 'close' listener per request, not two), and asks
 * the table once the response is done, when every router is mounted.
 */
export function httpMetrics(metrics: Metrics, table: () => RouteTable | undefined): RequestObserver {
  const duration = new Histogram({ name: 'gatehouse_http_request_duration_seconds', help: 'HTTP request duration by method, route pattern and status', labelNames: LABELS, buckets: BUCKETS, registers: [metrics.registry] });
  // The request count is the histogram's _count, copied at each scrape: one prom-client call per request, not two.
  new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: LABELS,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const value of (await duration.get()).values) {
        if (value.metricName === 'gatehouse_http_request_duration_seconds_count') this.inc(value.labels, value.value);
      }
    },
  });

  return function countRequest(req: Request, res: Response, seconds: number): void {
    duration.observe({ method: METHODS.has(req.method) ? req.method : 'other', route: routeLabel(req, table()), status: res.writableFinished ? String(res.statusCode) : 'aborted' }, seconds);
  };
}

function routeLabel(req: Request, table: RouteTable | undefined): string {
  const pattern = table?.patternOf(req.route);
  if (pattern) return pattern;
  const urlPath = req.originalUrl.split('?', 1)[0] ?? '';
  return table?.patternFor(req.method, urlPath) ?? (path.extname(urlPath) ? 'static' : 'unmatched');
}
