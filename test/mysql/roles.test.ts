import { makeTestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { defineRolesFlows, ROLES_TEST_ENV } from '../flows/roles.flows';

describeMysql('roles at work on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => { scratch = await createScratchMysqlDatabase(); });
  afterAll(async () => { await scratch.drop(); });

  defineRolesFlows(() => makeTestApp({ env: { ...ROLES_TEST_ENV, DATABASE_URL: scratch.url } }));
});
