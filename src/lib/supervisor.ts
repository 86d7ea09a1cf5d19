import cluster, { Worker } from 'node:cluster';
import type { Logger } from 'pino';

/** A worker that dies this soon after it started listening is replaced after a pause, not at once. */
const SHORT_LIFE_MS = 5000;
const RESTART_PAUSE_MS = 1000;

export interface SupervisorOptions {
  workers: number;
  logger: Logger;
  /** How long SIGTERM waits for the workers' own drain before they are killed. */
  shutdownTimeoutMs: number;
  /** Once every worker listens, the first time: where (for the start-up banner). */
  onListening(address: { address: string; port: number }): void;
}

/**
 * WEB_CONCURRENCY above 1: the primary process runs N workers (node:cluster shares the listening
 * socket between them) and only supervises. A worker that dies is replaced (after a pause when
 * it lived only briefly); a worker that dies before the first start-up completed stops
 * everything, since a start-up failure (a taken port, a broken key file) would only repeat. SIGTERM or SIGINT is passed on to every worker, which drains as a
 * single process does; the primary exits once they all have.
 */
export function superviseWorkers({ workers, logger, shutdownTimeoutMs, onListening }: SupervisorOptions): void {
  const listeningSince = new Map<Worker, number>();
  let everyoneListened = false;
  let stopping = false;
  let exitCode = 0;

  function fork(): void {
    const worker = cluster.fork();
    worker.on('listening', (address) => {
      listeningSince.set(worker, Date.now());
      if (!everyoneListened && listeningSince.size === workers) {
        everyoneListened = true;
        onListening({ address: address.address ?? '', port: address.port ?? 0 });
      }
    });
  }

  function stop(reason: string, code = 0): void {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    logger.info({ reason, workers: Object.keys(cluster.workers ?? {}).length }, 'stopping every worker');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => {
      logger.error('workers did not stop in time: killing them');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, shutdownTimeoutMs + 2000).unref();
  }

  cluster.on('exit', (worker, code, signal) => {
    const since = listeningSince.get(worker);
    listeningSince.delete(worker);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info({ exitCode }, 'every worker stopped');
        process.exit(exitCode);
      }
      return;
    }
    if (since === undefined && !everyoneListened) {
      logger.fatal({ pid: worker.process.pid, code, signal }, 'a worker failed before it could listen: stopping');
      stop('worker start-up failed', 1);
      return;
    }
    const shortLived = since === undefined || Date.now() - since < SHORT_LIFE_MS;
    logger.warn({ pid: worker.process.pid, code, signal }, 'worker died: starting another');
    setTimeout(fork, shortLived ? RESTART_PAUSE_MS : 0);
  });

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  for (let i = 0; i < workers; i += 1) fork();
}
