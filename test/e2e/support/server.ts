import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { SigningKeys } from '../../../src/config/keys';
import { createHttpServer } from '../../../src/lib/http-server';
import { makeTestApp, TestApp, TestClock } from '../../helpers/make-app';
import { freePort } from '../../process/server-process';

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
 * The real app (createApp) on a fresh in-memory SQLite database, served by the production
 * HTTP server (`createHttpServer`, as src/server.ts serves it) on a loopback port inside the
 * test process, so the browser talks to exactly what users get. The port is chosen before the
 * app is built, so links in mails (APP_URL) point back here; should another process take it
 * in between, the next port is tried.
 */
export async function startApp(env: Record<string, string> = {}, options: { keys?: SigningKeys; host?: 'localhost' } = {}): Promise<RunningApp> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    // WebAuthn refuses an IP address as the relying party: passkey journeys reach the app as localhost.
    const baseUrl = `http://${options.host ?? '127.0.0.1'}:${port}`;
    const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-outbox-'));
    const t = await makeTestApp({
      env: { BCRYPT_COST: '4', APP_URL: baseUrl, MAIL_OUTBOX_DIR: outboxDir, ...env },
      clock: wallClock,
      keys: options.keys,
    });
    const server = createHttpServer(t.app);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
    } catch (error) {
      await t.close().catch(() => undefined);
      fs.rmSync(outboxDir, { recursive: true, force: true });
      if (attempt < 3 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw error;
    }
    return running(t, server, baseUrl, outboxDir);
  }
}

function running(t: TestApp, server: http.Server, baseUrl: string, outboxDir: string): RunningApp {
  return {
    ...t,
    baseUrl,
    outboxDir,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.app.services.outbox.drain();
      await t.close().catch(() => undefined);
      fs.rmSync(outboxDir, { recursive: true, force: true });
    },
  };
}
