import { defineAccountActivityFlows } from '../flows/account-activity.flows';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp } from '../helpers/make-app';
import { startSmtpServer, TestSmtp } from '../helpers/smtp';

let smtp: TestSmtp;
afterAll(() => smtp.close());

describe('security activity, new sign-in alerts and remember me, on SQLite', () => {
  defineAccountActivityFlows(async () => {
    smtp = await startSmtpServer();
    return { t: await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url } }), smtp };
  });
});
