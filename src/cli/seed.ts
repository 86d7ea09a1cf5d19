import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv, nodeEnvOf } from '../config/env';
import { createDb, describeDatabase } from '../db/knex';
import { migrateLatest } from '../db/migrate';
import { seed, SEED_PASSWORD, SeedCounts } from '../db/seed';
import { createPasswordService } from '../services/password.service';
import { CliError, runCli } from './run-cli';

const MAX_COUNT = 10_000_000;

const USAGE = `Usage: npm run seed -- [--users N] [--sessions N] [--audit N] [--articles N] [--reset]

Fills the database the app uses (DATABASE_URL, or .env) with made-up data for benchmarks and
manual checks, migrating it first. Seeded accounts are named seed_0000001, seed_0000002, …
and sign in with the password "${SEED_PASSWORD}"; sessions, audit events and articles are
theirs. Each number is a target for seeded rows: a run adds only what is missing, so running
it twice changes nothing. --reset first deletes everything seeded (accounts named seed_*, and
their sessions, events and articles); nothing else is touched.

  npm run seed -- --users 100000 --sessions 200000 --audit 1000000 --articles 20000

Refused when NODE_ENV=production. Exit status 0 when done, 1 otherwise (the reason is printed).`;

function parseCounts(argv: string[]): { counts: SeedCounts; reset: boolean } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        users: { type: 'string' },
        sessions: { type: 'string' },
        audit: { type: 'string' },
        articles: { type: 'string' },
        reset: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return 'help';
  const count = (name: keyof SeedCounts): number => {
    const text = values[name];
    if (text === undefined) return 0;
    if (!/^\d+$/.test(text) || Number(text) > MAX_COUNT) throw new CliError(`--${name} must be a whole number from 0 to ${MAX_COUNT.toLocaleString('en')}.\n\n${USAGE}`);
    return Number(text);
  };
  const counts = { users: count('users'), sessions: count('sessions'), audit: count('audit'), articles: count('articles') };
  return { counts, reset: values.reset ?? false };
}

runCli(async () => {
  loadDotEnv();
  // Before anything else, and whatever else the configuration says: never made-up accounts in production.
  if (nodeEnvOf() === 'production') throw new CliError('npm run seed refuses to run with NODE_ENV=production: it writes made-up accounts with a published password.');
  const parsed = parseCounts(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(USAGE);
    return;
  }
  const config = loadConfig();
  const db = createDb(config.database.url, config.rootDir, config.database);
  try {
    await migrateLatest(db, config.rootDir);
    console.log(`Seeding ${describeDatabase(config.database.url)}${parsed.reset ? ' (after deleting what was seeded before)' : ''}`);
    const passwords = createPasswordService(config.passwords.bcryptCost);
    await seed(db, { ...parsed, passwordHash: () => passwords.hash(SEED_PASSWORD), progress: (line) => console.log(`  ${line}`) });
  } finally {
    await db.destroy();
  }
});
