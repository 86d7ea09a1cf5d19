import path from 'node:path';
import { Db } from './knex';

/** Migrations always run from the TypeScript sources, so knex records the same file names everywhere. */
export function migrationConfig(rootDir: string) {
  return { directory: path.join(rootDir, 'migrations'), loadExtensions: ['.ts'] };
}

export async function migrateLatest(db: Db, rootDir: string): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig(rootDir))) as [number, string[]];
  return applied;
}
