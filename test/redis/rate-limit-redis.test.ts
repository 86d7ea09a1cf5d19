import pino from 'pino';
import request from 'supertest';
import { closeRedis, createRedisClient, RedisClient } from '../../src/lib/redis-client';
import type { TestApp } from '../helpers/make-app';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';
import { capturingLogger, describeRedis, makeRedisApp, TEST_REDIS_URL, uniquePrefix } from './redis';

const quiet = pino({ level: 'silent' });

function apiLogin(t: TestApp, login: string, password: string, ip: string) {
  return request(t.app).post('/api/auth/login').set('X-Forwarded-For', ip).send({ login, password });
}

async function keysUnder(client: RedisClient, prefix: string): Promise<string[]> {
  return (await client.sendCommand(['KEYS', `${prefix}*`])) as string[];
}

async function dropKeys(client: RedisClient, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  if (keys.length > 0) await client.sendCommand(['DEL', ...keys]);
}

describeRedis('rate-limit counters in Redis', () => {
  let client: RedisClient;
  let prefix: string;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    client = createRedisClient(TEST_REDIS_URL as string, quiet);
    await client.connect();
  });
  beforeEach(() => {
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((t) => t.close()));
    await dropKeys(client, prefix);
  });
  afterAll(() => closeRedis(client));

  it('shares failed-login counters between two app instances on one Redis', async () => {
    const first = await makeRedisApp(client, prefix);
    const second = await makeRedisApp(client, prefix);
    apps.push(first, second);
    for (let i = 0; i < 5; i += 1) {
      expect((await apiLogin(first, 'shared_target', 'wrong-password', '198.51.100.30')).status).toBe(401);
      expect((await apiLogin(second, 'shared_target', 'wrong-password', '198.51.100.30')).status).toBe(401);
    }
    const res = await apiLogin(first, 'shared_target', 'wrong-password', '198.51.100.30');
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect((await apiLogin(second, 'shared_target', 'wrong-password', '198.51.100.30')).status).toBe(429);
    expect((await apiLogin(second, 'shared_target', 'wrong-password', '198.51.100.31')).status).toBe(401);
  });

  it('shares the per-IP auth counter between instances', async () => {
    const first = await makeRedisApp(client, prefix, { env: { RATE_LIMIT_AUTH_PER_IP: '4' } });
    const second = await makeRedisApp(client, prefix, { env: { RATE_LIMIT_AUTH_PER_IP: '4' } });
    apps.push(first, second);
    for (const t of [first, second, first, second]) {
      expect((await apiLogin(t, `name_${Math.random()}`.slice(0, 20), 'wrong-password', '198.51.100.32')).status).toBe(401);
    }
    expect((await apiLogin(second, 'any_name', 'wrong-password', '198.51.100.32')).status).toBe(429);
  });

  it('stores counters under the prefix, with expiry, and never the login name itself', async () => {
    const t = await makeRedisApp(client, prefix);
    apps.push(t);
    expect((await apiLogin(t, 'Secret.Name', 'wrong-password', '198.51.100.33')).status).toBe(401);
    const keys = await keysUnder(client, prefix);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const key of keys) {
      expect(key.toLowerCase()).not.toContain('secret');
      expect(Number(await client.sendCommand(['PTTL', key]))).toBeGreaterThan(0);
    }
  });

  it('keeps logins working and throttled from memory while Redis is cut, and shares counters again once it is back', async () => {
    const url = new URL(TEST_REDIS_URL as string);
    const proxy: TcpProxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    const { logger, lines } = capturingLogger();
    const viaProxy = createRedisClient(`redis://127.0.0.1:${proxy.port}`, logger);
    await viaProxy.connect();
    try {
      const t = await makeRedisApp(viaProxy, prefix, { logger });
      apps.push(t);
      expect((await apiLogin(t, 'during_outage', 'wrong-password', '198.51.100.34')).status).toBe(401);

      await proxy.cut();
      const started = Date.now();
      for (let i = 0; i < 10; i += 1) {
        expect((await apiLogin(t, 'during_outage', 'wrong-password', '198.51.100.35')).status).toBe(401);
      }
      expect(Date.now() - started).toBeLessThan(10 * 1000);
      expect((await apiLogin(t, 'during_outage', 'wrong-password', '198.51.100.35')).status).toBe(429);
      expect(lines().some((line) => line.level === 40 && /redis unreachable/.test(line.msg))).toBe(true);

      await proxy.restore();
      await waitFor(() => viaProxy.isReady, 10_000);
      const other = await makeRedisApp(client, prefix);
      apps.push(other);
      for (let i = 0; i < 10; i += 1) {
        expect((await apiLogin(t, 'after_outage', 'wrong-password', '198.51.100.36')).status).toBe(401);
      }
      expect((await apiLogin(other, 'after_outage', 'wrong-password', '198.51.100.36')).status).toBe(429);
    } finally {
      await closeRedis(viaProxy);
      await proxy.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
