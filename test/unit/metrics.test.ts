import { createDb } from '../../src/db/knex';
import { observeDatabase } from '../../src/db/observe';
import { createMetrics } from '../../src/lib/metrics';
import { httpMetrics } from '../../src/middleware/http-metrics';
import { parseSeries } from '../helpers/metrics';

const read = async (metrics: ReturnType<typeof createMetrics>) => parseSeries((await metrics.scrape()).body);

describe('createMetrics', () => {
  it('starts every declared series at 0 and counts a value outside the declared set as "other", never as itself', async () => {
    const metrics = createMetrics();
    const attempts = metrics.counter('test_attempts_total', 'Attempts', { outcome: ['ok', 'failed'] });
    attempts.inc({ outcome: 'ok' });
    attempts.inc({ outcome: 'alice@example.test' as 'ok' }, 2);
    const series = await read(metrics);
    expect(series.get('test_attempts_total{outcome="ok"}')).toBe(1);
    expect(series.get('test_attempts_total{outcome="failed"}')).toBe(0);
    expect(series.get('test_attempts_total{outcome="other"}')).toBe(2);
    expect((await metrics.scrape()).body).not.toContain('alice');
  });

  it('gives the same counter for the same name, so two modules can count into one metric', async () => {
    const metrics = createMetrics();
    metrics.counter('test_things_total', 'Things').inc();
    metrics.counter('test_things_total', 'Things').inc(undefined, 4);
    expect((await read(metrics)).get('test_things_total')).toBe(5);
  });

  it('reads a gauge at every scrape, also from a promise', async () => {
    const metrics = createMetrics();
    let depth = 3;
    metrics.gauge('test_queue_depth', 'Depth', async () => depth);
    expect((await read(metrics)).get('test_queue_depth')).toBe(3);
    depth = 7;
    expect((await read(metrics)).get('test_queue_depth')).toBe(7);
  });

  it('adds the process metrics with the first scrape', async () => {
    const metrics = createMetrics();
    expect(await metrics.registry.metrics()).not.toContain('process_cpu_user_seconds_total');
    expect((await read(metrics)).has('process_cpu_user_seconds_total')).toBe(true);
  });
});

describe('observeDatabase on a real SQLite database', () => {
  it('shows the pool and counts failed queries by kind, without their SQL', async () => {
    const db = createDb('sqlite::memory:', process.cwd());
    const metrics = createMetrics();
    observeDatabase(metrics, db);
    try {
      await db.schema.createTable('things', (table) => table.string('name').unique());
      await db('things').insert({ name: 'secret_value' });
      // Matched by shape: better-sqlite3's errors may come from another test file's realm (one native addon per worker).
      await expect(db('things').insert({ name: 'secret_value' })).rejects.toHaveProperty('code', 'SQLITE_CONSTRAINT_UNIQUE');
      await expect(db.transaction((trx) => trx.raw('select * from no_such_table'))).rejects.toHaveProperty('message', expect.stringContaining('no such table'));
      const series = await read(metrics);
      expect(series.get('gatehouse_db_query_errors_total{kind="unique_violation"}')).toBe(1);
      expect(series.get('gatehouse_db_query_errors_total{kind="other"}')).toBe(1);
      expect(series.get('gatehouse_db_query_errors_total{kind="unavailable"}')).toBe(0);
      expect(series.get('gatehouse_db_pool_connections_in_use')).toBe(0);
      expect(series.get('gatehouse_db_pool_connections_idle')).toBe(1);
      expect((await metrics.scrape()).body).not.toMatch(/secret_value|no_such_table/);
    } finally {
      await db.destroy();
    }
  });
});

describe('httpMetrics', () => {
  it('keeps Prometheus histogram semantics: a value on a bound counts in it, cumulative buckets, +Inf, sum and count; aborted and unknown methods labelled', async () => {
    const metrics = createMetrics();
    const route = {};
    const table = { routes: [], patternOf: (r: unknown) => (r === route ? '/me' : undefined), patternFor: () => undefined };
    const observe = httpMetrics(metrics, () => table);
    const req = (method: string) => ({ method, route, originalUrl: '/me?x=1' }) as never;
    const done = { writableFinished: true, statusCode: 200 } as never;
    for (const seconds of [0.005, 0.0051, 11]) observe(req('GET'), done, seconds);
    observe(req('GET'), { writableFinished: false, statusCode: 200 } as never, 0.2);
    observe(req('BREW'), done, 0.001);
    const series = await read(metrics);
    const labels = 'method="GET",route="/me",status="200"';
    expect(series.get(`gatehouse_http_request_duration_seconds_bucket{le="0.005",${labels}}`)).toBe(1);
    expect(series.get(`gatehouse_http_request_duration_seconds_bucket{le="0.01",${labels}}`)).toBe(2);
    expect(series.get(`gatehouse_http_request_duration_seconds_bucket{le="10",${labels}}`)).toBe(2);
    expect(series.get(`gatehouse_http_request_duration_seconds_bucket{le="+Inf",${labels}}`)).toBe(3);
    expect(series.get(`gatehouse_http_request_duration_seconds_sum{${labels}}`)).toBeCloseTo(11.0101, 6);
    expect(series.get(`gatehouse_http_request_duration_seconds_count{${labels}}`)).toBe(3);
    expect(series.get(`gatehouse_http_requests_total{${labels}}`)).toBe(3);
    expect(series.get('gatehouse_http_requests_total{method="GET",route="/me",status="aborted"}')).toBe(1);
    expect(series.get('gatehouse_http_requests_total{method="other",route="/me",status="200"}')).toBe(1);
  });
});
