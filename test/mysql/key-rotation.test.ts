import { defineKeyRotationFlows } from '../flows/key-rotation.flows';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';

describeMysql('signing key rotation on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => { scratch = await createScratchMysqlDatabase(); });
  afterAll(async () => { await scratch.drop(); });

  defineKeyRotationFlows(() => ({ DATABASE_URL: scratch.url }));
});
