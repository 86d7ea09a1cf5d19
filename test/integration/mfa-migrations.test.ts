import { createDb, Db } from '../../src/db/knex';
import { migrateLatest, migrationConfig } from '../../src/db/migrate';
import { ROOT_DIR } from '../../src/config/env';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';

const OURS = ['20261207000200_create_second_factors.ts', '20261207000210_add_sign_in_methods.ts'];
const TABLES = ['mfa_totp', 'mfa_recovery_codes', 'passkeys', 'webauthn_challenges', 'pending_logins'];

/** The second-factor migrations apply, roll back to nothing and apply again, on both engines. */
async function roundTrip(db: Db): Promise<void> {
  await migrateLatest(db, ROOT_DIR);
  for (const table of TABLES) expect(await db.schema.hasTable(table)).toBe(true);
  expect(await db.schema.hasColumn('refresh_sessions', 'amr')).toBe(true);

  // By name, newest first: migrations of other issues may come after ours and stay.
  const config = migrationConfig(ROOT_DIR);
  for (const name of [...OURS].reverse()) await db.migrate.down({ ...config, name });
  for (const table of TABLES) expect(await db.schema.hasTable(table)).toBe(false);
  expect(await db.schema.hasColumn('refresh_sessions', 'amr')).toBe(false);
  expect(await db.schema.hasTable('refresh_sessions')).toBe(true);

  await migrateLatest(db, ROOT_DIR);
  for (const table of TABLES) expect(await db.schema.hasTable(table)).toBe(true);
}

test('the second-factor migrations go up, down and up again on SQLite', async () => {
  const db = createDb('sqlite::memory:', ROOT_DIR);
  try {
    await roundTrip(db);
  } finally {
    await db.destroy();
  }
});

describeMysql('the second-factor migrations on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => { scratch = await createScratchMysqlDatabase(); });
  afterAll(async () => { await scratch.drop(); });

  test('go up, down and up again', async () => {
    const db = createDb(scratch.url, ROOT_DIR);
    try {
      await roundTrip(db);
    } finally {
      await db.destroy();
    }
  });
});
