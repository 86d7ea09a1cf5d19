import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Browser, chromium } from 'playwright-core';

/** Debian's chromium (apt-get install chromium). The suite never downloads a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Exactly the switches this machine needs for a headless Chromium, nothing more: Playwright's
 * own launch() adds dozens of its own, so the suite starts the browser itself and attaches over
 * the DevTools protocol. The debugging port is an ephemeral one on loopback only.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
] as const;

export interface RunningBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Starts chromium on a fresh, throw-away user-data dir and connects Playwright to it. */
export async function launchChromium(): Promise<RunningBrowser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-'));
  const child = spawn(CHROMIUM_PATH, [
    ...CHROMIUM_FLAGS,
    '--remote-debugging-address=127.0.0.1',
    '--remote-debugging-port=0',
    `--user-data-dir=${userDataDir}`,
    'about:blank',
  // Its own process group, so stopping it also stops its renderer and helper processes.
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });

  try {
    const endpoint = await devToolsEndpoint(child);
    const browser = await chromium.connectOverCDP(endpoint);
    return {
      browser,
      async close() {
        await browser.close().catch(() => undefined);
        await stop(child);
        removeDir(userDataDir);
      },
    };
  } catch (error) {
    await stop(child);
    removeDir(userDataDir);
    throw error;
  }
}

/** Chromium prints "DevTools listening on ws://…" on stderr once it is ready. */
function devToolsEndpoint(child: ChildProcess, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited with code ${code} before it was ready:\n${output}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  if (child.exitCode !== null || child.signalCode !== null) {
    signalGroup('SIGKILL');
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const force = setTimeout(() => signalGroup('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      signalGroup('SIGKILL');
      resolve();
    });
    signalGroup('SIGTERM');
  });
}

/** Helper processes may still be writing to the profile for a moment after the browser exits. */
function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}
