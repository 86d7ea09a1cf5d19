import { makeTestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { defineTranslatedPagesFlows } from '../flows/translated-pages.flows';

describeMysql('translated pages, mails and API errors on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => { scratch = await createScratchMysqlDatabase(); });
  afterAll(async () => { await scratch.drop(); });

  defineTranslatedPagesFlows((env) => makeTestApp({ env: { ...env, DATABASE_URL: scratch.url } }));
});
