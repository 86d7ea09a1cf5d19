import { definePasskeyFlows } from '../flows/passkeys.flows';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp } from '../helpers/make-app';
import { startSmtpServer, TestSmtp } from '../helpers/smtp';

let smtp: TestSmtp;
afterAll(() => smtp.close());

describe('passkeys, on SQLite', () => {
  definePasskeyFlows(async () => {
    smtp = await startSmtpServer();
    return { t: await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url } }), smtp };
  });
});
