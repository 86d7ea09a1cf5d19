import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT_DIR } from '../../src/config/env';
import { entryArgs } from '../helpers/entry';

/** A free loopback port: the server is told which one to use (PORT=0 would not be announced back). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  output(): string;
  exited: Promise<number | null>;
  cleanup(): void;
}

/**
 * The real server (`node --require tsx/cjs src/server.ts`, or `node dist/server.js` as npm start runs it under
 * TEST_AGAINST_DIST=1) on a free port, a temp SQLite file and
 * keys in a temp dir, as `npm start` would run it. Resolves once it announces it is ready to serve
 * (or, with `waitFor`, once its output holds that text).
 */
export async function startServer(env: Record<string, string> = {}, nodeArgs: string[] = [], waitFor = 'Gatehouse listening'): Promise<ServerProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-proc-'));
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, ...entryArgs('src/server.ts')], {
    cwd: ROOT_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: `sqlite:${path.join(dir, 'gatehouse.sqlite')}`,
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY_FILE: path.join(dir, 'private.pem'),
      JWT_PUBLIC_KEY_FILE: path.join(dir, 'public.pem'),
      BCRYPT_COST: '4',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => { output += chunk; });
  child.stderr?.on('data', (chunk) => { output += chunk; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const cleanup = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const until = Date.now() + 20_000;
  while (!output.includes(waitFor)) {
    if (child.exitCode !== null || Date.now() > until) {
      cleanup();
      throw new Error(`server did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, port, output: () => output, exited, cleanup };
}

export interface SimpleResponse {
  status: number;
  body: string;
  at: number;
}

/** One request over a keep-alive agent, as a browser would hold its connection open. */
export function send(port: number, method: string, urlPath: string, body?: unknown, agent?: http.Agent): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      host: '127.0.0.1',
      port,
      method,
      path: urlPath,
      agent,
      headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, at: Date.now() }));
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Pino's JSON lines from the server's output. */
export function logLines(output: string): Array<Record<string, unknown>> {
  return output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
}
