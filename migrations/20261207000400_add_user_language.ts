import { Knex } from 'knex';

/**
 * The language a user chose on their profile or with the language switcher (docs/i18n.md): a
 * code such as `ru` or `zh-CN`. Null means "no choice": the browser's (the `lang` cookie, then
 * Accept-Language) decides. The code is checked against the supported list by the app.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    table.string('language', 16).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('language');
  });
}
