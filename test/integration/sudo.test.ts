import { defineSudoFlows } from '../flows/sudo.flows';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp } from '../helpers/make-app';
import { startSmtpServer, TestSmtp } from '../helpers/smtp';

let smtp: TestSmtp;
afterAll(() => smtp.close());

describe('sudo mode and admins, on SQLite', () => {
  defineSudoFlows(async () => {
    smtp = await startSmtpServer();
    return { t: await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url } }), smtp };
  });
});
