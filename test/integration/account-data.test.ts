import { defineAccountDataFlows } from '../flows/account-data.flows';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp } from '../helpers/make-app';
import { startSmtpServer, TestSmtp } from '../helpers/smtp';

let smtp: TestSmtp;
afterAll(() => smtp.close());

describe('export, deletion, forced password resets and audit retention, on SQLite', () => {
  defineAccountDataFlows(async () => {
    smtp = await startSmtpServer();
    return { t: await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url } }), smtp };
  });
});
