import { Knex } from 'knex';
import { timestamp, useUnicodeTable } from '../src/db/schema';

/**
 * The account is the user's (docs/account.md):
 * - known_devices: the browsers that have signed in to an account, each known by a SHA-256 of a
 *   random id held in a signed, long-lived `device` cookie (never the id itself, never an IP).
 *   `alerted_at` is when a new-sign-in mail went out for it: the per-account throttle counts these.
 * - refresh_sessions.remembered: "Remember me". Rows from before it were persistent sessions.
 * - pending_logins.remembered: the box, carried across the second step of a login.
 * - audit_events.subject_pseudonym / actor_pseudonym: once an account is deleted its events stay,
 *   naming it only by a random pseudonymous id, so admins' history still reads as one story.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('known_devices', (table) => {
    useUnicodeTable(knex, table);
    table.increments('id');
    table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.string('device_digest', 64).notNullable();
    timestamp(table, 'created_at').notNullable();
    timestamp(table, 'last_seen_at').notNullable();
    timestamp(table, 'alerted_at').nullable();
    table.unique(['user_id', 'device_digest']);
  });
  await knex.schema.alterTable('refresh_sessions', (table) => {
    table.boolean('remembered').notNullable().defaultTo(true);
  });
  await knex.schema.alterTable('pending_logins', (table) => {
    table.boolean('remembered').notNullable().defaultTo(true);
  });
  await knex.schema.alterTable('audit_events', (table) => {
    table.string('subject_pseudonym', 40).nullable();
    table.string('actor_pseudonym', 40).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (table) => {
    table.dropColumn('actor_pseudonym');
    table.dropColumn('subject_pseudonym');
  });
  await knex.schema.alterTable('pending_logins', (table) => table.dropColumn('remembered'));
  await knex.schema.alterTable('refresh_sessions', (table) => table.dropColumn('remembered'));
  await knex.schema.dropTable('known_devices');
}
