import type { Logger } from 'pino';

/**
 * Work that runs after the response has gone: mail delivery, and everything a forgot-password
 * request does. Nothing the visitor sees waits on it or depends on how it went, so neither a
 * slow SMTP server nor the existence of an account shows in the answer; failures are logged.
 *
 * The queue lives in this process: a crash loses what is waiting (the user asks again).
 */
export interface TaskQueue {
  push(label: string, task: () => Promise<void>): void;
  /** Resolves once nothing is running or waiting: for shutdown and tests. */
  idle(): Promise<void>;
}

export interface TaskQueueOptions {
  concurrency: number;
  /** Past this many waiting tasks new ones are dropped (and logged) rather than eating memory. */
  maxPending: number;
}

export function createTaskQueue(logger: Logger, options: TaskQueueOptions = { concurrency: 4, maxPending: 1000 }): TaskQueue {
  const pending: Array<{ label: string; task: () => Promise<void> }> = [];
  let running = 0;
  let waiters: Array<() => void> = [];

  function settle(): void {
    if (running > 0 || pending.length > 0) return;
    const done = waiters;
    waiters = [];
    for (const resolve of done) resolve();
  }

  function pump(): void {
    while (running < options.concurrency && pending.length > 0) {
      const next = pending.shift()!;
      running += 1;
      next.task()
        .catch((error: unknown) => logger.error({ err: error, task: next.label }, 'background task failed'))
        .finally(() => {
          running -= 1;
          pump();
          settle();
        });
    }
  }

  return {
    push(label, task) {
      if (pending.length >= options.maxPending) {
        logger.error({ task: label }, 'background queue full: task dropped');
        return;
      }
      pending.push({ label, task });
      // Never start in the caller's tick: the response is written first.
      setImmediate(pump);
    },

    idle() {
      if (running === 0 && pending.length === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
