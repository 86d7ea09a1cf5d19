import type { Metrics } from '../lib/metrics';
import { isDatabaseUnavailable } from './availability';
import { isUniqueViolation, type Db } from './knex';

interface PoolLike {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/**
 * The database as Prometheus sees it: the pool (read at each scrape from Knex's tarn pool) and
 * failed queries by kind. Only the kind is a label: never the SQL, its values or the message.
 */
export function observeDatabase(metrics: Metrics, db: Db): void {
  const pool = () => (db.client as { pool?: PoolLike }).pool;
  metrics.gauge('gatehouse_db_pool_connections_in_use', 'Database connections lent out to queries', () => pool()?.numUsed() ?? 0);
  metrics.gauge('gatehouse_db_pool_connections_idle', 'Database connections open and idle', () => pool()?.numFree() ?? 0);
  metrics.gauge('gatehouse_db_pool_pending_acquires', 'Queries waiting for a database connection', () => pool()?.numPendingAcquires() ?? 0);
  const errors = metrics.counter('gatehouse_db_query_errors_total', 'Failed database queries: unavailable (a dead or refused connection), unique_violation (a race the unique index settled), other', {
    kind: ['unavailable', 'unique_violation', 'other'],
  });
  db.on('query-error', (error: unknown) => {
    errors.inc({ kind: isUniqueViolation(error) ? 'unique_violation' : isDatabaseUnavailable(error) ? 'unavailable' : 'other' });
  });
}
