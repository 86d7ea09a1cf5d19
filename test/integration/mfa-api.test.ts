import { defineMfaApiFlows } from '../flows/mfa-api.flows';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp } from '../helpers/make-app';
import { startSmtpServer, TestSmtp } from '../helpers/smtp';

let smtp: TestSmtp;
afterAll(() => smtp.close());

describe('second factors through the API, on SQLite', () => {
  defineMfaApiFlows(async () => {
    smtp = await startSmtpServer();
    return { t: await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url } }), smtp };
  });
});
