import { makeTestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { defineLanguageFlows, LANGUAGES_TEST_ENV } from '../flows/languages.flows';

describeMysql('languages on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => { scratch = await createScratchMysqlDatabase(); });
  afterAll(async () => { await scratch.drop(); });

  defineLanguageFlows(() => makeTestApp({ env: { ...LANGUAGES_TEST_ENV, DATABASE_URL: scratch.url } }));
});
