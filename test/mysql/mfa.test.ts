import { defineMfaApiFlows } from '../flows/mfa-api.flows';
import { defineMfaPageFlows } from '../flows/mfa-pages.flows';
import { definePasskeyFlows } from '../flows/passkeys.flows';
import { defineSudoFlows } from '../flows/sudo.flows';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { startSmtpServer, TestSmtp } from '../helpers/smtp';

describeMysql('second factors, passkeys and sudo mode on MariaDB', () => {
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
  describe('the API', () => defineMfaApiFlows(setup));
  describe('the pages', () => defineMfaPageFlows(setup));
  describe('passkeys', () => definePasskeyFlows(setup));
  describe('sudo mode and admins', () => defineSudoFlows(setup));
});
