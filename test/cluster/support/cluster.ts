import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { ROOT_DIR } from '../../../src/config/env';
import { generateKeyPairPem } from '../../../src/config/keys';
import { createDb } from '../../../src/db/knex';
import { entryArgs } from '../../helpers/entry';
import { createScratchMysqlDatabase, ScratchDatabase, TEST_MYSQL_URL } from '../../helpers/mysql';
import { startSmtpServer, TestSmtp } from '../../helpers/smtp';
import { freePort } from '../../process/server-process';
import { call } from './client';

function binary(candidates: string[]): string | undefined {
  for (const candidate of candidates) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const NGINX = binary(['/usr/sbin/nginx', 'nginx']);
const REDIS_SERVER = binary(['/usr/bin/redis-server', 'redis-server']);

const missing = [
  !TEST_MYSQL_URL && 'TEST_MYSQL_URL is not set',
  !NGINX && 'nginx is not installed (apt-get install nginx)',
  !REDIS_SERVER && 'redis-server is not installed',
].filter(Boolean);

/** The cluster suite runs when MariaDB, nginx and redis-server are all here (CI has them), else it is skipped by name. */
export const describeCluster: jest.Describe = missing.length === 0
  ? describe
  : (((name: string, fn: () => void) => describe.skip(`${name} (skipped: ${missing.join('; ')})`, fn)) as unknown as jest.Describe);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A child process whose output the test reads. */
interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Child {
  const child = spawn(command, args, { cwd: ROOT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => { output += chunk; });
  child.stderr?.on('data', (chunk) => { output += chunk; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** One Gatehouse instance, as `npm start` runs it (see test/helpers/entry.ts), in production mode, on its own port. */
export interface Instance {
  readonly name: string;
  readonly port: number;
  /** http://127.0.0.1:PORT: the instance itself, as nginx reaches it. */
  readonly base: string;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
  start(): Promise<void>;
}

function instance(name: string, port: number, env: NodeJS.ProcessEnv): Instance {
  let child: Child | undefined;
  let previousOutput = '';
  return {
    name,
    port,
    base: `http://127.0.0.1:${port}`,
    output: () => previousOutput + (child?.output() ?? ''),
    async start() {
      if (child) previousOutput += child.output();
      const started = run(process.execPath, entryArgs('src/server.ts'), { ...env, PORT: String(port) });
      child = started;
      await until(`instance ${name} to listen`, () => {
        if (started.process.exitCode !== null) throw new Error(`instance ${name} exited:\n${started.output()}`);
        return started.output().includes('Gatehouse listening');
      });
    },
    async kill(signal) {
      if (!child || child.process.exitCode !== null) return child?.process.exitCode ?? null;
      child.process.kill(signal);
      return child.exited;
    },
  };
}

/** A Redis server of the suite's own, so stopping it disturbs nothing else on the machine. */
export interface OwnRedis {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function ownRedis(dir: string): Promise<OwnRedis> {
  const port = await freePort();
  let child: Child | undefined;
  const answers = () => new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.on('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')); });
    socket.on('error', () => resolve(false));
  });
  const redis: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = run(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
      await until('redis-server', answers);
    },
    async stop() {
      child?.process.kill('SIGKILL');
      await child?.exited;
    },
  };
  await redis.start();
  return redis;
}

/**
 * deploy/nginx.conf as shipped, with only its "site:" values changed: the instances' ports,
 * loopback listen addresses, the server name and the certificate. Every change must find its
 * line, so a reshaped production file fails here rather than being tested half.
 */
export function siteConfig(shipped: string, site: { upstreams: number[]; httpPort: number; httpsPort: number; cert: string; key: string }): string {
  const replace = (text: string, pattern: RegExp, by: string | ((match: string) => string)) => {
    if (!pattern.test(text)) throw new Error(`deploy/nginx.conf no longer has ${pattern}`);
    return text.replace(pattern, by as string);
  };
  let conf = replace(shipped, /(\s*server 127\.0\.0\.1:300\d [^;]*;)+/, () => site.upstreams.map((port) => `\n    server 127.0.0.1:${port} max_fails=1 fail_timeout=10s;`).join(''));
  conf = replace(conf, /listen 80;/, `listen 127.0.0.1:${site.httpPort};`);
  conf = replace(conf, /listen 443 ssl;/, `listen 127.0.0.1:${site.httpsPort} ssl;`);
  conf = replace(conf, /server_name accounts\.example\.com;/g, 'server_name localhost;');
  conf = replace(conf, /ssl_certificate \S+;/, `ssl_certificate ${site.cert};`);
  conf = replace(conf, /ssl_certificate_key \S+;/, `ssl_certificate_key ${site.key};`);
  return conf;
}

async function startNginx(dir: string, site: string): Promise<{ stop(): Promise<void>; output(): string }> {
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(dir, 'tmp', sub), { recursive: true });
  fs.writeFileSync(path.join(dir, 'site.conf'), site);
  fs.writeFileSync(path.join(dir, 'nginx.conf'), [
    process.getuid?.() === 0 ? 'user root;' : '',
    'worker_processes 1;',
    'daemon off;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 512; }',
    'http {',
    '  access_log off;',
    ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((sub) => `  ${sub === 'body' ? 'client_body' : sub}_temp_path ${dir}/tmp/${sub};`),
    `  include ${dir}/site.conf;`,
    '}',
  ].join('\n'));
  const child = run(NGINX!, ['-p', dir, '-c', path.join(dir, 'nginx.conf')]);
  await sleep(300);
  if (child.process.exitCode !== null) throw new Error(`nginx did not start:\n${child.output()}\n${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
  return {
    output: () => `${child.output()}${fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''}`,
    async stop() {
      child.process.kill('SIGTERM');
      await child.exited;
    },
  };
}

/** A project command (`src/cli/NAME.ts`) run as `npm run` runs it, with the instances' environment. */
export function runCli(name: string, args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, [...entryArgs(`src/cli/${name}.ts`), ...args], { cwd: ROOT_DIR, env, encoding: 'utf8' });
}

export interface Cluster {
  instances: Instance[];
  /** https://localhost:PORT: nginx, as users reach Gatehouse. */
  proxy: string;
  /** The certificate nginx presents, for the client to verify. */
  ca: string;
  smtp: TestSmtp;
  redis: OwnRedis;
  /** The shared database, for the test's own assertions. */
  db: Knex;
  dir: string;
  /** The environment every instance runs with (for the command-line tools). */
  env: NodeJS.ProcessEnv;
  nginxOutput(): string;
  close(): Promise<void>;
}

/**
 * MariaDB (a scratch database), a Redis and an nginx of its own, a local SMTP sink, and
 * `count` production-mode instances behind nginx, sharing keys, database and Redis.
 */
export async function startCluster(count = 3): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cluster-'));
  const scratch: ScratchDatabase = await createScratchMysqlDatabase();
  const smtp = await startSmtpServer();
  const redis = await ownRedis(dir);
  const { privatePem, publicPem } = generateKeyPairPem('ES256');
  fs.writeFileSync(path.join(dir, 'private.pem'), privatePem, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'public.pem'), publicPem);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', path.join(dir, 'tls-key.pem'), '-out', path.join(dir, 'tls-cert.pem')], { stdio: 'ignore' });

  const [httpPort, httpsPort, ...ports] = await Promise.all(Array.from({ length: count + 2 }, () => freePort()));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATABASE_URL: scratch.url,
    REDIS_URL: redis.url,
    JWT_ALGORITHM: 'ES256',
    JWT_PRIVATE_KEY_FILE: path.join(dir, 'private.pem'),
    JWT_PUBLIC_KEY_FILE: path.join(dir, 'public.pem'),
    APP_URL: `https://localhost:${httpsPort}`,
    SMTP_URL: smtp.url,
    BCRYPT_COST: '10',
    TRUST_PROXY: 'loopback',
    REFRESH_REUSE_GRACE: '2s',
    JWT_KEYS_RELOAD_INTERVAL: '1s',
    DATA_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'),
    LOG_LEVEL: 'info',
  };
  const instances = ports.map((port, i) => instance(String.fromCharCode(65 + i), port!, env));
  // The first one migrates the empty database; the others find it done.
  await instances[0]!.start();
  await Promise.all(instances.slice(1).map((one) => one.start()));

  const shipped = fs.readFileSync(path.join(ROOT_DIR, 'deploy', 'nginx.conf'), 'utf8');
  const nginx = await startNginx(path.join(dir, 'nginx'), siteConfig(shipped, {
    upstreams: ports as number[], httpPort: httpPort!, httpsPort: httpsPort!, cert: path.join(dir, 'tls-cert.pem'), key: path.join(dir, 'tls-key.pem'),
  }));
  const ca = fs.readFileSync(path.join(dir, 'tls-cert.pem'), 'utf8');
  const proxy = `https://localhost:${httpsPort}`;
  await until('nginx to answer', async () => (await call(proxy, 'GET', '/healthz', {}, ca).catch(() => ({ status: 0 }))).status === 200);
  const db = createDb(scratch.url, ROOT_DIR);

  return {
    instances,
    proxy,
    ca,
    smtp,
    redis,
    db,
    dir,
    env,
    nginxOutput: nginx.output,
    async close() {
      await nginx.stop().catch(() => undefined);
      await Promise.all(instances.map((one) => one.kill('SIGKILL')));
      await redis.stop();
      await db.destroy();
      await smtp.close();
      await scratch.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
