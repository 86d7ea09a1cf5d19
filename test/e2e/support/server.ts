import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makeTestApp, TestApp, TestClock } from '../../helpers/make-app';

export interface RunningApp extends TestApp {
  /** http://127.0.0.1:PORT, no trailing slash. */
  baseUrl: string;
  /** Where this app writes the mail it "sends" (shown at /dev/mail). */
  outboxDir: string;
  stop(): Promise<void>;
}

/** A browser keeps real time (cookie lifetimes), so the app does too. */
const wallClock: TestClock = {
  now: () => new Date(),
  advance() {
    throw new Error('The browser tests run on the wall clock; move time in the integration tests instead.');
  },
};

/**
 * The real app (createApp) on a fresh in-memory SQLite database, listening on an ephemeral
 * loopback port inside the test process, so the browser talks to exactly what users get.
 * The port is known before the app is built, so links in mails (APP_URL) point back here.
 */
export async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-outbox-'));

  const t = await makeTestApp({
    env: { BCRYPT_COST: '4', APP_URL: baseUrl, MAIL_OUTBOX_DIR: outboxDir, ...env },
    clock: wallClock,
  });
  server.on('request', t.app);
  return {
    ...t,
    baseUrl,
    outboxDir,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.app.services.background.idle();
      await t.close().catch(() => undefined);
      fs.rmSync(outboxDir, { recursive: true, force: true });
    },
  };
}
