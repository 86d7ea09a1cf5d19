import { Knex } from 'knex';

/**
 * How a sign-in (refresh family) was authenticated, copied to every row of the family on
 * rotation: `amr` (RFC 8176 values, comma-separated) and `auth_time` become the access token's
 * claims; `reauthenticated_at` is the last "confirm it's you" (sudo mode). Rows from before this
 * migration have none of them: they read as a password sign-in at the family's creation.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_sessions', (table) => {
    table.string('amr', 64).nullable();
    // DATETIME(3) on MySQL, as src/db/schema.ts's timestamp() makes them for new tables.
    table.datetime('auth_time', { precision: 3 }).nullable();
    table.datetime('reauthenticated_at', { precision: 3 }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_sessions', (table) => {
    table.dropColumn('reauthenticated_at');
    table.dropColumn('auth_time');
    table.dropColumn('amr');
  });
}
