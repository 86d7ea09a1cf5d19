import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import jwt from 'jsonwebtoken';
import { ROOT_DIR } from '../../src/config/env';
import { entryArgs } from '../helpers/entry';
import { KeyDir, makeKeyDir } from '../helpers/key-dir';
import { logLines, ServerProcess, startServer } from './server-process';

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const kidOf = (token: string) => jwt.decode(token, { complete: true })?.header.kid;

async function call(port: number, method: string, path: string, options: { body?: unknown; token?: string } = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      ...(options.body ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => undefined) as Record<string, unknown> | undefined };
}

let accounts = 0;

async function signUpAndLogIn(port: number): Promise<{ access_token: string; refresh_token: string; login(): Promise<string> }> {
  accounts += 1;
  const name = `proc_${port}_${accounts}`;
  const credentials = { username: name, email: `${name}@example.test`, password: 'correct horse battery staple' };
  expect((await call(port, 'POST', '/api/auth/register', { body: credentials })).status).toBe(201);
  const login = async () => {
    const res = await call(port, 'POST', '/api/auth/login', { body: { login: credentials.username, password: credentials.password } });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  };
  return { ...(await login()), login: async () => (await login()).access_token };
}

const jwksKids = async (port: number) => ((await call(port, 'GET', '/.well-known/jwks.json')).body?.keys as { kid: string }[]).map((key) => key.kid);

describe('two server processes sharing one key directory', () => {
  let keyDir: KeyDir;
  const servers: ServerProcess[] = [];
  beforeAll(async () => {
    keyDir = makeKeyDir('ES256');
    for (let i = 0; i < 2; i += 1) servers.push(await startServer({ ...keyDir.env, JWT_KEYS_RELOAD_INTERVAL: '1s' }));
  });
  afterAll(() => {
    for (const server of servers) server.cleanup();
    keyDir.cleanup();
  });

  it('both switch to the new kid after npm run keys:rotate, without a restart, and keep accepting the tokens signed before', async () => {
    const sessions = await Promise.all(servers.map((server) => signUpAndLogIn(server.port)));
    const oldKid = kidOf(sessions[0]!.access_token);
    expect(kidOf(sessions[1]!.access_token)).toBe(oldKid);
    for (const server of servers) expect(server.output()).toContain(`(kid ${oldKid})`);

    const rotation = spawnSync(process.execPath, entryArgs('src/cli/keys-rotate.ts'), {
      cwd: ROOT_DIR, encoding: 'utf8', env: { PATH: process.env.PATH, NODE_ENV: 'development', ...keyDir.env },
    });
    expect(rotation.stderr).toBe('');
    expect(rotation.status).toBe(0);
    const newKid = /current: {2}kid (\S+):/.exec(rotation.stdout)?.[1];
    expect(newKid).toBeDefined();

    // Each instance notices on its own, within its reload interval; waited for, not timed.
    for (const server of servers) {
      for (const until = Date.now() + 30_000; (await jwksKids(server.port))[0] !== newKid && Date.now() < until;) await sleep(100);
      expect(await jwksKids(server.port)).toEqual([newKid, oldKid]);
    }

    for (const [index, server] of servers.entries()) {
      const session = sessions[index]!;
      expect((await call(server.port, 'GET', '/api/me', { token: session.access_token })).status).toBe(200);
      const refreshed = await call(server.port, 'POST', '/api/auth/refresh', { body: { refresh_token: session.refresh_token } });
      expect(refreshed.status).toBe(200);
      expect(kidOf(refreshed.body!.access_token as string)).toBe(newKid);
      expect(kidOf(await session.login())).toBe(newKid);

      const reloaded = logLines(server.output()).filter((line) => line.msg === 'signing keys reloaded');
      expect(reloaded).toEqual([expect.objectContaining({ level: 30, kid: newKid, previous: [oldKid] })]);
      expect(server.output()).not.toMatch(/BEGIN|PRIVATE KEY|"secret"/);
      expect(server.child.exitCode).toBeNull();
    }
  });

  it('on a damaged key file, warn once and keep serving with the keys they have', async () => {
    const publicFile = keyDir.env.JWT_PUBLIC_KEY_FILE!;
    const intact = fs.readFileSync(publicFile, 'utf8');
    const kidBefore = (await jwksKids(servers[0]!.port))[0];
    fs.writeFileSync(publicFile, 'not a key');
    try {
      const warned = (server: ServerProcess) => logLines(server.output()).filter((line) => line.msg === 'signing keys not reloaded: still using the current ones, retrying');
      for (const server of servers) {
        for (const until = Date.now() + 30_000; warned(server).length === 0 && Date.now() < until;) await sleep(100);
        expect(warned(server)).toEqual([expect.objectContaining({ level: 40, kid: kidBefore, problem: 'JWT_PUBLIC_KEY_FILE does not hold a readable PEM public key' })]);
        const session = await signUpAndLogIn(server.port);
        expect(kidOf(session.access_token)).toBe(kidBefore);
        expect((await call(server.port, 'GET', '/api/me', { token: session.access_token })).status).toBe(200);
      }
      await sleep(2500); // a few more reload intervals: the same problem is not logged again
      for (const server of servers) expect(warned(server)).toHaveLength(1);
    } finally {
      fs.writeFileSync(publicFile, intact);
    }
  });
});
