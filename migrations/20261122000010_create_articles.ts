import { Knex } from 'knex';
import { isSqlite, timestamp, useUnicodeTable } from '../src/db/schema';

/**
 * Articles: plain text written by authors. The body allows 20 000 characters, which in utf8mb4
 * can exceed MySQL's TEXT (65 535 bytes): it is a MEDIUMTEXT there; SQLite's TEXT has no limit.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('articles', (table) => {
    useUnicodeTable(knex, table);
    table.increments('id');
    table.integer('author_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.string('title', 200).notNullable();
    if (isSqlite(knex)) table.text('body').notNullable();
    else table.text('body', 'mediumtext').notNullable();
    timestamp(table, 'created_at').notNullable();
    timestamp(table, 'updated_at').notNullable();
    // The list pages read newest first.
    table.index(['created_at', 'id']);
    table.index(['author_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('articles');
}
