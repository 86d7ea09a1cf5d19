/**
 * For the knex CLI (`node --import tsx ./node_modules/knex/bin/cli.js --knexfile knexfile.ts …`).
 * The app itself migrates at start and through `npm run migrate`; all three read the same config.
 */
import { loadConfig, loadDotEnv } from './src/config/env';
import { knexConfig } from './src/db/knex';
import { migrationConfig } from './src/db/migrate';

loadDotEnv();
const config = loadConfig();

export default { ...knexConfig(config.database.url, config.rootDir), migrations: migrationConfig(config.rootDir) };
