import { Knex } from 'knex';

/**
 * Helpers shared by the migrations so that both engines get the same schema.
 *
 * Case-insensitive uniqueness is the database's job: MySQL gets it from the table collation
 * (utf8mb4_unicode_ci); SQLite compares case-sensitively unless the column says NOCASE.
 */
export function isSqlite(knex: Knex): boolean {
  return knex.client.config.client !== 'mysql2';
}

export function caseInsensitiveString(knex: Knex, table: Knex.CreateTableBuilder, name: string, length: number) {
  return isSqlite(knex)
    ? table.specificType(name, `varchar(${length}) collate nocase`)
    : table.string(name, length);
}

export function useUnicodeTable(knex: Knex, table: Knex.CreateTableBuilder): void {
  if (!isSqlite(knex)) {
    table.charset('utf8mb4');
    table.collate('utf8mb4_unicode_ci');
    table.engine('InnoDB');
  }
}

/** Millisecond precision on MySQL (DATETIME(3)); SQLite stores whatever it is given. */
export function timestamp(table: Knex.CreateTableBuilder, name: string) {
  return table.datetime(name, { precision: 3 });
}
