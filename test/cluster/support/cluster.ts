import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
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
import { Child, NGINX, type OwnRedis, ownRedis, REDIS_SERVER, run, selfSignedCertificate, siteConfig, startNginx, until } from './services';

const missing = [
  !TEST_MYSQL_URL && 'TEST_MYSQL_URL is not set',
  !NGINX && 'nginx is not installed (apt-get install nginx)',
  !REDIS_SERVER && 'redis-server is not installed',
].filter(Boolean);

/** The cluster suite runs when MariaDB, nginx and redis-server are all here (CI has them), else it is skipped by name. */
export const describeCluster: jest.Describe = missing.length === 0
  ? describe
  : (((name: string, fn: () => void) => describe.skip(`${name} (skipped: ${missing.join('; ')})`, fn)) as unknown as jest.Describe);

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
 * MariaDB (a scratch database), a Redis and an nginx of its own (./services.ts), a local SMTP sink, and
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
  const tls = selfSignedCertificate(dir);

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
    upstreams: ports as number[], httpPort: httpPort!, httpsPort: httpsPort!, cert: tls.cert, key: tls.key,
  }));
  const ca = fs.readFileSync(tls.cert, 'utf8');
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
