import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT_DIR } from '../../../src/config/env';
import { freePort } from '../../process/server-process';

/**
 * The engines a cluster needs beside the app, each started on loopback ports from a folder of
 * its own: a Redis server and nginx running deploy/nginx.conf. Shared by test/cluster/ and the
 * bench's multi-instance mode (bench/lib/cluster.ts); nothing here needs Jest.
 */
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

export const NGINX = binary(['/usr/sbin/nginx', 'nginx']);
export const REDIS_SERVER = binary(['/usr/bin/redis-server', 'redis-server']);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A child process whose output the caller reads. */
export interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Child {
  const child = spawn(command, args, { cwd: ROOT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => { output += chunk; });
  child.stderr?.on('data', (chunk) => { output += chunk; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}

export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A Redis server of the caller's own, so stopping it disturbs nothing else on the machine. */
export interface OwnRedis {
  readonly url: string;
  /** The server's process id while it runs (its CPU can be read from /proc). */
  pid(): number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function ownRedis(dir: string): Promise<OwnRedis> {
  if (!REDIS_SERVER) throw new Error('redis-server is not installed');
  const port = await freePort();
  let child: Child | undefined;
  const answers = () => new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.on('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')); });
    socket.on('error', () => resolve(false));
  });
  const redis: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    pid: () => (child && child.process.exitCode === null ? child.process.pid : undefined),
    async start() {
      child = run(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
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

/** A self-signed certificate for localhost in `dir` (tls-cert.pem, tls-key.pem), as nginx presents it. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'tls-cert.pem');
  const key = path.join(dir, 'tls-key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

export interface OwnNginx {
  /** The master's process id; its one worker is the master's child. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
  output(): string;
}

/** nginx with one worker, running `site` (an http-context file, see siteConfig) from `dir`. */
export async function startNginx(dir: string, site: string): Promise<OwnNginx> {
  if (!NGINX) throw new Error('nginx is not installed (apt-get install nginx)');
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
  const child = run(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')]);
  await sleep(300);
  if (child.process.exitCode !== null) throw new Error(`nginx did not start:\n${child.output()}\n${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
  return {
    pid: child.process.pid,
    output: () => `${child.output()}${fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''}`,
    async stop() {
      child.process.kill('SIGTERM');
      await child.exited;
    },
  };
}
