import { createDb } from '../../src/db/knex';
import { observeDatabase } from '../../src/db/observe';
import { createMetrics } from '../../src/lib/metrics';
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
