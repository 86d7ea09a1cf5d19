import { Knex } from 'knex';
import { caseInsensitiveString, timestamp, useUnicodeTable } from '../src/db/schema';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (table) => {
    useUnicodeTable(knex, table);
    table.increments('id');
    table.string('public_id', 36).notNullable().unique();
    caseInsensitiveString(knex, table, 'username', 32).notNullable().unique();
    // Stored lower-case by the application; the column is case-insensitive as well, so a raw
    // insert can never create a second account for the same address.
    caseInsensitiveString(knex, table, 'email', 254).notNullable().unique();
    table.string('first_name', 50).nullable();
    table.string('second_name', 50).nullable();
    table.string('password_hash', 100).notNullable();
    table.boolean('is_reader').notNullable().defaultTo(true);
    table.boolean('is_author').notNullable().defaultTo(false);
    table.boolean('is_admin').notNullable().defaultTo(false);
    table.boolean('is_active').notNullable().defaultTo(true);
    table.boolean('is_verified').notNullable().defaultTo(false);
    table.integer('token_version').notNullable().defaultTo(0);
    timestamp(table, 'last_login_at').nullable();
    timestamp(table, 'created_at').notNullable();
    timestamp(table, 'updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
