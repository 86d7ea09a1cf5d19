import { Knex } from 'knex';
import { timestamp, useUnicodeTable } from '../src/db/schema';

/**
 * The transactional outbox: work promised to a user (a mail, the lookup behind a forgot-password
 * answer) is written in the same transaction as the change it is about, and done after commit
 * by whichever instance claims it (src/services/outbox.ts). A row's payload — the address and
 * the link — is erased once the row is done or given up; the rest stays for inspection.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox', (table) => {
    useUnicodeTable(knex, table);
    table.bigIncrements('id');
    table.string('kind', 48).notNullable();
    // The mail template, for inspection once the payload is gone.
    table.string('template', 48).nullable();
    table.text('payload').nullable();
    table.string('status', 8).notNullable();
    table.integer('attempts').notNullable().defaultTo(0);
    // When the row may next be claimed: a retry's back-off, or (SQLite) the end of a claim's lease.
    timestamp(table, 'available_at').notNullable();
    table.string('claim', 32).nullable();
    table.string('last_error', 300).nullable();
    timestamp(table, 'created_at').notNullable();
    timestamp(table, 'finished_at').nullable();
    table.index(['status', 'available_at']);
    table.index(['status', 'finished_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('outbox');
}
