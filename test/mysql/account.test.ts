import { defineAccountActivityFlows } from '../flows/account-activity.flows';
import { defineAccountDataFlows } from '../flows/account-data.flows';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { startSmtpServer, TestSmtp } from '../helpers/smtp';

describeMysql('the account is the user\'s (issue 18) on MariaDB', () => {
  let scratch: ScratchDatabase;
  let smtp: TestSmtp;
  beforeAll(async () => {
    scratch = await createScratchMysqlDatabase();
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp.close();
    await scratch.drop();
  });

  const setup = async () => ({ t: await makeTestApp({ env: { ...GENEROUS_LIMITS, DATABASE_URL: scratch.url, SMTP_URL: smtp.url } }), smtp });
  describe('activity, alerts and remember me', () => defineAccountActivityFlows(setup));
  describe('export, deletion, forced resets and retention', () => defineAccountDataFlows(setup));
});
