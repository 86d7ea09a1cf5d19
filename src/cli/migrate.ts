import { loadConfig, loadDotEnv } from '../config/env';
import { createDb, describeDatabase } from '../db/knex';
import { migrateLatest } from '../db/migrate';
import { runCli } from './run-cli';

/** npm run migrate: applies every pending migration to DATABASE_URL. */
runCli(async () => {
  loadDotEnv();
  const config = loadConfig();
  const db = createDb(config.database.url, config.rootDir, config.database);
  try {
    const applied = await migrateLatest(db, config.rootDir);
    const where = describeDatabase(config.database.url);
    console.log(applied.length > 0 ? `Applied ${applied.length} migration(s) to ${where}:\n  ${applied.join('\n  ')}` : `${where} is up to date.`);
  } finally {
    await db.destroy();
  }
});
