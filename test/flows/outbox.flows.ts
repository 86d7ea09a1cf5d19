import request from 'supertest';
import { engineOf } from '../../src/db/knex';
import * as Outbox from '../../src/models/outbox.model';
import { retryDelayMs } from '../../src/services/outbox';
import { createUser } from '../helpers/factories';
import { GENEROUS_LIMITS } from '../helpers/http';
import type { TestApp, TestAppOptions } from '../helpers/make-app';
import { startSmtpServer, TestSmtp } from '../helpers/smtp';
import { capturingLogger } from '../redis/redis';

const RESET_SUBJECT = 'Reset your password';

/**
 * The durable mail outbox (src/services/outbox.ts), written once and run on SQLite
 * (test/integration/outbox.test.ts) and on MariaDB (test/mysql/outbox.test.ts).
 */
export function defineOutboxFlows(setup: (options: TestAppOptions) => Promise<TestApp>): void {
  let smtp: TestSmtp;
  let t: TestApp;
  let log: ReturnType<typeof capturingLogger>;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    log = capturingLogger();
    t = await setup({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url, MAIL_RETRY_FOR: '5m' }, logger: log.logger });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => {
    smtp.refusing = false;
  });

  const rowsOf = async (kind: string) => (await Outbox.listOutboxRows(t.db)).filter((row) => row.kind === kind);
  const mailRowsFor = async (template: string) => (await rowsOf('mail')).filter((row) => row.template === template);
  const forgot = (email: string) => request(t.app).post('/api/auth/forgot').send({ email });

  test('forgot-password has written its job when the 202 arrives; the mail goes out once and the rows keep no address', async () => {
    const user = await createUser(t);
    const before = (await rowsOf('password_reset_request')).length;
    expect((await forgot(user.email)).status).toBe(202);
    expect(await rowsOf('password_reset_request')).toHaveLength(before + 1);
    await t.app.services.outbox.drain();
    await smtp.next(user.email, RESET_SUBJECT);
    expect(smtp.mailsTo(user.email).filter((mail) => mail.subject === RESET_SUBJECT)).toHaveLength(1);
    const rows = [...(await rowsOf('password_reset_request')), ...(await mailRowsFor('password-reset'))];
    expect(rows.map((row) => [row.status, row.payload])).toEqual(rows.map(() => ['done', null]));
    expect(JSON.stringify(await Outbox.listOutboxRows(t.db))).not.toContain(user.email);
  });

  test('a mail written in a transaction that rolls back is never sent', async () => {
    const address = 'rolled-back@example.test';
    await expect(t.db.transaction(async (trx) => {
      await t.app.services.mail.send({ to: address, template: 'email-in-use', locals: {} }, trx);
      throw new Error('the change failed');
    })).rejects.toThrow('the change failed');
    await t.app.services.outbox.drain();
    expect(JSON.stringify(await Outbox.listOutboxRows(t.db))).not.toContain(address);
    expect(smtp.mailsTo(address)).toEqual([]);
  });

  test('a refused mail is retried with back-off, and sent once when the server takes it; the log never names the address', async () => {
    const user = await createUser(t);
    await t.app.services.outbox.drain(); // its verification mail
    smtp.refusing = true;
    await forgot(user.email);
    await t.app.services.outbox.drain();
    let [row] = await mailRowsFor('password-reset').then((rows) => rows.filter((r) => r.status === 'pending'));
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row!.last_error).toContain('[address]');
    expect(row!.last_error).not.toContain('@');
    expect(row!.available_at.getTime() - t.clock.now().getTime()).toBe(retryDelayMs(1));

    t.clock.advance(retryDelayMs(1) / 1000 - 1);
    await t.app.services.outbox.drain();
    expect((await Outbox.findOutboxRow(t.db, row!.id))!.attempts).toBe(1); // not due yet
    t.clock.advance(1);
    await t.app.services.outbox.drain();
    row = await Outbox.findOutboxRow(t.db, row!.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 2 });

    smtp.refusing = false;
    t.clock.advance(retryDelayMs(2) / 1000);
    await t.app.services.outbox.drain();
    expect(await Outbox.findOutboxRow(t.db, row!.id)).toMatchObject({ status: 'done', attempts: 3, payload: null, last_error: null });
    expect(smtp.mailsTo(user.email).filter((mail) => mail.subject === RESET_SUBJECT)).toHaveLength(1);
    const lines = log.lines().filter((line) => /outbox/.test(line.msg));
    expect(lines.map((line) => line.msg)).toContain('outbox row failed: will retry');
    expect(JSON.stringify(lines)).not.toContain(user.email);
  });

  test('past MAIL_RETRY_FOR a failing mail is given up: an error is logged, the row stays as failed without its payload', async () => {
    const user = await createUser(t);
    await t.app.services.outbox.drain(); // its verification mail
    smtp.refusing = true;
    await forgot(user.email);
    await t.app.services.outbox.drain();
    const [row] = (await mailRowsFor('password-reset')).filter((r) => r.status === 'pending');
    for (let i = 0; i < 10 && (await Outbox.findOutboxRow(t.db, row!.id))!.status === 'pending'; i += 1) {
      t.clock.advance(60);
      await t.app.services.outbox.drain();
    }
    const given = await Outbox.findOutboxRow(t.db, row!.id);
    expect(given).toMatchObject({ status: 'failed', payload: null });
    expect(given!.finished_at!.getTime() - given!.created_at.getTime()).toBeGreaterThanOrEqual(5 * 60_000);
    expect(given!.last_error).toMatch(/451|temporarily/);
    const errors = log.lines().filter((line) => line.level >= 50 && line.msg.startsWith('outbox row given up'));
    expect(errors).toEqual([expect.objectContaining({ outbox: row!.id, template: 'password-reset' })]);
    expect(JSON.stringify(errors)).not.toContain(user.email);
    expect(smtp.mailsTo(user.email).filter((mail) => mail.subject === RESET_SUBJECT)).toEqual([]);
    expect(await t.app.services.outbox.depth()).toBe(0);
    const scrape = (await request(t.app).get('/metrics')).text;
    expect(scrape).toMatch(/^gatehouse_mail_send_failures_total\{outcome="given_up"\} 1$/m);
    expect(Number(/^gatehouse_mail_send_failures_total\{outcome="will_retry"\} (\d+)$/m.exec(scrape)?.[1])).toBeGreaterThanOrEqual(3);
    expect(scrape).toMatch(/^gatehouse_mail_outbox_depth 0$/m);
  });

  test('a row held by a sender that died is done by the next one, once', async () => {
    const user = await createUser(t);
    await t.app.services.outbox.drain();
    await t.app.services.outbox.stop(); // nothing works on the row behind the test's back
    await t.app.services.mail.send({ to: user.email, template: 'email-in-use', locals: {} });
    const [row] = (await mailRowsFor('email-in-use')).filter((r) => r.status === 'pending');
    const release = await holdLikeADeadSender(t, row!.id);
    t.app.services.outbox.start();
    await t.app.services.outbox.drain();
    expect(smtp.mailsTo(user.email).filter((mail) => mail.subject === 'Someone tried to use this email address')).toEqual([]);
    await release();
    await t.app.services.outbox.drain();
    await t.app.services.outbox.stop();
    expect(smtp.mailsTo(user.email).filter((mail) => mail.subject === 'Someone tried to use this email address')).toHaveLength(1);
    expect(await Outbox.findOutboxRow(t.db, row!.id)).toMatchObject({ status: 'done', payload: null });
  });
}

/**
 * Takes a row as a sender would, then never finishes: on MySQL a transaction holding the row's
 * lock (released — as a dead connection's is — by rolling back); on SQLite a lease (released by
 * its end going by). Resolves to the function that plays the death.
 */
async function holdLikeADeadSender(t: TestApp, id: number): Promise<() => Promise<void>> {
  if (engineOf(t.db) === 'mysql') {
    const trx = await t.db.transaction();
    const locked = await Outbox.lockNextDueRow(trx, t.clock.now());
    expect(locked?.id).toBe(id);
    return async () => {
      await trx.rollback();
    };
  }
  const now = t.clock.now();
  const leased = await Outbox.leaseNextDueRow(t.db, now, 'a-sender-that-died', new Date(now.getTime() + 120_000));
  expect(leased?.id).toBe(id);
  return async () => {
    t.clock.advance(121);
  };
}
