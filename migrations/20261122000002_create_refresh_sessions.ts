import { Knex } from 'knex';
import { timestamp, useUnicodeTable } from '../src/db/schema';

/**
 * One row per refresh token. A "family" is one sign-in: every rotation adds a row to it.
 * Only a SHA-256 of the token's jti is stored, so a database dump holds nothing replayable.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('refresh_sessions', (table) => {
    useUnicodeTable(knex, table);
    table.increments('id');
    table.string('jti_hash', 64).notNullable().unique();
    table.string('family_id', 36).notNullable().index();
    table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    timestamp(table, 'family_created_at').notNullable();
    timestamp(table, 'created_at').notNullable();
    timestamp(table, 'expires_at').notNullable().index();
    timestamp(table, 'used_at').nullable();
    table.string('replaced_by', 64).nullable();
    timestamp(table, 'revoked_at').nullable();
    table.string('revoke_reason', 32).nullable();
    table.string('user_agent', 255).nullable();
    table.string('ip', 45).nullable();
    table.index(['user_id', 'revoked_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('refresh_sessions');
}
