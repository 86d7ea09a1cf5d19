import { Knex } from 'knex';
import { isSqlite } from '../src/db/schema';

/**
 * Indexes for the queries the pages run once the tables are large (docs/performance.md
 * lists each query and the index it uses; test/integration/query-plans.test.ts fails on a full scan).
 *
 * - users.first_name / second_name: the admin search matches the start of either name, in any
 *   case. SQLite's LIKE can use an index only when the index compares with NOCASE (the columns
 *   themselves compare exactly); MySQL's columns are already case-insensitive.
 * - audit_events (user_id, id): one user's events, newest first, a page at a time. It replaces
 *   (user_id, created_at), which made both engines sort a user's whole history by id.
 */
const NAME_INDEXES = [
  ['first_name', 'users_first_name_search_index'],
  ['second_name', 'users_second_name_search_index'],
] as const;

export async function up(knex: Knex): Promise<void> {
  for (const [column, name] of NAME_INDEXES) {
    if (isSqlite(knex)) await knex.raw('create index ?? on ?? (?? collate nocase)', [name, 'users', column]);
    else await knex.schema.alterTable('users', (table) => table.index([column], name));
  }
  // Created before the old index goes: on MySQL the user_id foreign key always needs one.
  await knex.schema.alterTable('audit_events', (table) => table.index(['user_id', 'id'], 'audit_events_user_id_id_index'));
  await knex.schema.alterTable('audit_events', (table) => table.dropIndex(['user_id', 'created_at']));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (table) => table.index(['user_id', 'created_at']));
  await knex.schema.alterTable('audit_events', (table) => table.dropIndex(['user_id', 'id'], 'audit_events_user_id_id_index'));
  for (const [column, name] of NAME_INDEXES) {
    await knex.schema.alterTable('users', (table) => table.dropIndex([column], name));
  }
}
