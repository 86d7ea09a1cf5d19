import { Knex } from 'knex';
import { timestamp, useUnicodeTable } from '../src/db/schema';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_events', (table) => {
    useUnicodeTable(knex, table);
    table.increments('id');
    table.string('event', 48).notNullable().index();
    // The account the event is about, and the admin who acted when it was not the user.
    table.integer('user_id').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL');
    table.integer('actor_id').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL');
    table.string('ip', 45).nullable();
    table.string('user_agent', 255).nullable();
    table.text('details').nullable();
    timestamp(table, 'created_at').notNullable().index();
    table.index(['user_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_events');
}
