import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { isDatabaseUnavailable } from './availability';
import { Db } from './knex';

/**
 * For the knex CLI (knexfile.ts, run through tsx): the TypeScript sources, which knex names by
 * their file name, `20261122000001_create_users.ts`.
 */
export function migrationConfig(rootDir: string) {
  return { directory: path.join(rootDir, 'migrations'), loadExtensions: ['.ts'] };
}

/**
 * The app's migrations, from the tree the code runs from: `migrations/*.ts` under tsx and jest,
 * `dist/migrations/*.js` from the build. knex records each migration by the name its source
 * gives it and treats any other name as a different migration (and a recorded name it cannot
 * find as a corrupt directory), so every migration is named after its TypeScript file, whichever
 * file was loaded: a database migrated from the sources (the app, `npm run migrate`, the knex
 * CLI) is up to date for the build, and the reverse.
 */
export function migrationSource(directory: string, extension: string): Knex.MigrationSource<string> {
  return {
    async getMigrations() {
      return (await fs.promises.readdir(directory)).filter((file) => file.endsWith(extension) && !file.endsWith('.d.ts')).sort();
    },
    getMigrationName: (file) => `${file.slice(0, -extension.length)}.ts`,
    async getMigration(file) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- migrations are CommonJS modules in both trees
      return require(path.join(directory, file)) as Knex.Migration;
    },
  };
}

/** Run from TypeScript: rootDir's migrations/; compiled: the dist/migrations/ beside this file's dist/src/. */
function ownMigrations(rootDir: string): Knex.MigrationSource<string> {
  const extension = path.extname(__filename);
  const directory = extension === '.ts' ? path.join(rootDir, 'migrations') : path.resolve(__dirname, '..', '..', 'migrations');
  return migrationSource(directory, extension);
}

export async function migrateLatest(db: Db, rootDir: string): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: ownMigrations(rootDir) })) as [number, string[]];
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
