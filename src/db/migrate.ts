import path from 'node:path';
import { isDatabaseUnavailable } from './availability';
import { Db } from './knex';

/** Migrations always run from the TypeScript sources, so knex records the same file names everywhere. */
export function migrationConfig(rootDir: string) {
  return { directory: path.join(rootDir, 'migrations'), loadExtensions: ['.ts'] };
}

export async function migrateLatest(db: Db, rootDir: string): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig(rootDir))) as [number, string[]];
  return applied;
}

export interface WaitOptions {
  /** Called on each failed attempt while the database does not answer. */
  onUnavailable(error: unknown, attempt: number): void;
  /** True once the process is shutting down: stop waiting. */
  stopped(): boolean;
  retryMs?: number;
}

/**
 * At start-up a database that does not answer yet (still booting, a failover, a file not yet
 * mounted) is waited for rather than a reason to exit: the process stays up, /healthz says the
 * database is unreachable and /readyz keeps it out of rotation. Any other failure (a broken
 * migration) is thrown. Undefined when the process was stopped while waiting.
 */
export async function migrateWhenAvailable(db: Db, rootDir: string, options: WaitOptions): Promise<string[] | undefined> {
  for (let attempt = 1; !options.stopped(); attempt += 1) {
    try {
      return await migrateLatest(db, rootDir);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      options.onUnavailable(error, attempt);
      await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 1000));
    }
  }
  return undefined;
}
