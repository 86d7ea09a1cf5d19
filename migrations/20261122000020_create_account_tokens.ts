import { Knex } from 'knex';
import { caseInsensitiveString, timestamp, useUnicodeTable } from '../src/db/schema';

/**
 * One row per emailed link: email verification, password reset, email change. Only a SHA-256
 * of the random token is stored, so a database dump holds no usable link. A row stops working
 * when it is used, revoked (a newer link of the same purpose, a password change) or expired.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('account_tokens', (table) => {
    useUnicodeTable(knex, table);
    table.increments('id');
    table.string('token_hash', 64).notNullable().unique();
    table.string('purpose', 16).notNullable();
    table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    // The address the link was sent to: the one being verified, or the new one for a change.
    caseInsensitiveString(knex, table, 'email', 254).notNullable();
    // Reset links only: a digest of the password hash at issue, so any password change kills them.
    table.string('password_fingerprint', 64).nullable();
    timestamp(table, 'created_at').notNullable();
    timestamp(table, 'expires_at').notNullable().index();
    timestamp(table, 'used_at').nullable();
    timestamp(table, 'revoked_at').nullable();
    table.index(['user_id', 'purpose', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('account_tokens');
}
