import { makeTestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { definePaginationFlows, PAGINATION_TEST_ENV } from '../flows/pagination.flows';

describeMysql('keyset pagination on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => { scratch = await createScratchMysqlDatabase(); });
  afterAll(async () => { await scratch.drop(); });

  definePaginationFlows(() => makeTestApp({ env: { ...PAGINATION_TEST_ENV, DATABASE_URL: scratch.url } }));
});
