import { Knex } from 'knex';
import { timestamp, useUnicodeTable } from '../src/db/schema';

const userReference = (table: Knex.CreateTableBuilder) =>
  table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');

/**
 * Second factors and the short-lived state of their ceremonies. Nothing replayable is stored in
 * the clear: TOTP secrets are sealed with DATA_ENCRYPTION_KEY (AES-256-GCM), recovery codes and
 * the random tokens of pending logins and WebAuthn challenges are kept as digests only.
 */
export async function up(knex: Knex): Promise<void> {
  // One authenticator app per user; `confirmed_at` null while setup waits for the first code.
  await knex.schema.createTable('mfa_totp', (table) => {
    useUnicodeTable(knex, table);
    table.increments('id');
    userReference(table).unique();
    table.string('secret_sealed', 255).notNullable();
    timestamp(table, 'confirmed_at').nullable();
    // The RFC 6238 time step of the last code accepted: a code is good only for a later step.
    table.bigInteger('last_used_step').nullable();
    timestamp(table, 'created_at').notNullable();
    timestamp(table, 'updated_at').notNullable();
  });

  await knex.schema.createTable('mfa_recovery_codes', (table) => {
    useUnicodeTable(knex, table);
    table.increments('id');
    userReference(table);
    table.string('code_digest', 64).notNullable();
    timestamp(table, 'used_at').nullable();
    timestamp(table, 'created_at').notNullable();
    table.unique(['user_id', 'code_digest']);
  });

  // Credential ids are case-sensitive base64url up to 1,364 characters: looked up by SHA-256.
  await knex.schema.createTable('passkeys', (table) => {
    useUnicodeTable(knex, table);
    table.increments('id');
    userReference(table).index();
    table.string('credential_digest', 64).notNullable().unique();
    table.text('credential_id').notNullable();
    table.text('public_key').notNullable();
    table.bigInteger('counter').notNullable().defaultTo(0);
    table.string('transports', 255).nullable();
    table.string('name', 64).notNullable();
    table.string('device_type', 32).notNullable();
    table.boolean('backed_up').notNullable().defaultTo(false);
    timestamp(table, 'created_at').notNullable();
    timestamp(table, 'last_used_at').nullable();
  });

  // One row per WebAuthn ceremony, bound to the browser by a cookie whose digest is `binding_digest`.
  await knex.schema.createTable('webauthn_challenges', (table) => {
    useUnicodeTable(knex, table);
    table.increments('id');
    table.string('binding_digest', 64).notNullable().unique();
    table.string('challenge', 128).notNullable();
    table.string('purpose', 16).notNullable();
    table.integer('user_id').unsigned().nullable().references('id').inTable('users').onDelete('CASCADE');
    timestamp(table, 'created_at').notNullable();
    timestamp(table, 'expires_at').notNullable().index();
    timestamp(table, 'used_at').nullable();
  });

  // A password accepted, the second step not yet passed: no session exists until it is.
  await knex.schema.createTable('pending_logins', (table) => {
    useUnicodeTable(knex, table);
    table.increments('id');
    table.string('token_digest', 64).notNullable().unique();
    userReference(table).index();
    // Any password change, sign-out-everywhere or disabling in between voids the step.
    table.integer('token_version').notNullable();
    // The login throttles' account key of the first step, so the second step shares its counters.
    table.string('throttle_key', 64).nullable();
    table.integer('attempts').notNullable().defaultTo(0);
    timestamp(table, 'created_at').notNullable();
    timestamp(table, 'expires_at').notNullable().index();
    timestamp(table, 'used_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const name of ['pending_logins', 'webauthn_challenges', 'passkeys', 'mfa_recovery_codes', 'mfa_totp']) {
    await knex.schema.dropTable(name);
  }
}
