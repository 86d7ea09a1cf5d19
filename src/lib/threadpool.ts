import os from 'node:os';

/**
 * bcrypt runs on libuv's thread pool, the same small FIFO queue that serves fs (express.static
 * stats every GET), dns.lookup and pino's log writes. A login storm that queued one bcrypt job
 * per request would put every page behind seconds of hashing, so bcrypt may hold at most
 * `bcryptSlots` threads at once and the rest wait in our own queue, never in libuv's.
 *
 * libuv reads UV_THREADPOOL_SIZE once, when the pool starts. Under tsx's loader the pool has
 * started before src/server.ts runs, so it cannot be raised from code: set it in the
 * environment the process starts with (it is libuv's variable, not a Gatehouse setting, and
 * is read here only to know the pool we got).
 */
export const LIBUV_DEFAULT_POOL_SIZE = 4;

export function libuvPoolSize(env: Record<string, string | undefined> = process.env): number {
  const configured = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(configured) && configured > 0 ? Math.min(configured, 1024) : LIBUV_DEFAULT_POOL_SIZE;
}

/**
 * One bcrypt job per core uses every core for hashing (raw bcrypt can do no better), and one
 * pool thread always stays free for fs and dns. With the default pool of 4, that is 3 at most:
 * machines with more cores raise UV_THREADPOOL_SIZE to cores + 1.
 */
export function bcryptSlots(poolSize = libuvPoolSize(), cpus = os.availableParallelism()): number {
  return Math.max(1, Math.min(cpus, poolSize - 1));
}

/** Runs at most `slots` tasks at once; the others wait their turn, first come first served. */
export function createLimiter(slots: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };
  return async function limit<T>(task: () => Promise<T>): Promise<T> {
    if (running < slots) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      release();
    }
  };
}
