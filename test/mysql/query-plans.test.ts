import { makeTestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { defineQueryPlanFlows, QUERY_PLANS_ENV } from '../flows/query-plans.flows';

describeMysql('query plans on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => { scratch = await createScratchMysqlDatabase(); });
  afterAll(async () => { await scratch.drop(); });

  defineQueryPlanFlows(() => makeTestApp({ env: { ...QUERY_PLANS_ENV, DATABASE_URL: scratch.url } }));
});
