import request from 'supertest';
import * as Outbox from '../../src/models/outbox.model';
import { defineOutboxFlows } from '../flows/outbox.flows';
import { createUser } from '../helpers/factories';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { startSmtpServer, TestSmtp } from '../helpers/smtp';

describeMysql('the mail outbox on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => { scratch = await createScratchMysqlDatabase(); });
  afterAll(async () => { await scratch.drop(); });

  defineOutboxFlows((options) => makeTestApp({ ...options, env: { ...options.env, DATABASE_URL: scratch.url } }));

  describe('two instances draining one outbox at once', () => {
    let smtp: TestSmtp;
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      smtp = await startSmtpServer();
      const env = { ...GENEROUS_LIMITS, DATABASE_URL: scratch.url, SMTP_URL: smtp.url };
      a = await makeTestApp({ env });
      b = await makeTestApp({ env, keys: a.keys, clock: a.clock });
    });
    afterAll(async () => {
      await a.close();
      await b.close();
      await smtp.close();
    });

    test('16 forgot-password answers split over both: every mail is sent exactly once (SKIP LOCKED)', async () => {
      const users = await Promise.all(Array.from({ length: 8 }, () => createUser(a)));
      await Promise.all([a.app.services.outbox.drain(), b.app.services.outbox.drain()]);
      const answers = await Promise.all(users.flatMap((user) => [a, b].map((t) => request(t.app).post('/api/auth/forgot').send({ email: user.email }))));
      expect(answers.map((res) => res.status)).toEqual(Array(16).fill(202));
      await Promise.all([a.app.services.outbox.drain(), b.app.services.outbox.drain(), a.app.services.outbox.drain()]);
      for (const user of users) {
        // Two requests each: the second link revokes the first, and both mails go out, once each.
        expect(smtp.mailsTo(user.email).filter((mail) => mail.subject === 'Reset your password')).toHaveLength(2);
      }
      expect(await Outbox.countPending(a.db)).toBe(0);
    });
  });
});
