import pino from 'pino';
import { closeRedis, createRedisClient, RedisClient } from '../../src/lib/redis-client';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { scrape } from '../helpers/metrics';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';
import { describeRedis, makeRedisApp, TEST_REDIS_URL, uniquePrefix } from './redis';

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeRedis('gatehouse_redis_connected, through a TCP proxy in front of Redis', () => {
  let proxy: TcpProxy;
  let client: RedisClient;
  let t: TestApp;
  beforeAll(async () => {
    const url = new URL(TEST_REDIS_URL as string);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    url.host = `127.0.0.1:${proxy.port}`;
    client = createRedisClient(url.toString(), pino({ level: 'silent' }));
    await client.connect();
    t = await makeRedisApp(client, uniquePrefix());
  });
  afterAll(async () => {
    await t?.close();
    await closeRedis(client);
    await proxy?.close();
  });

  it('is 1 while Redis is connected, 0 once the connection is cut, and 1 again after it is back', async () => {
    const connected = async () => (await scrape(t)).get('gatehouse_redis_connected');
    expect(await connected()).toBe(1);
    await proxy.cut();
    await until(async () => (await connected()) === 0);
    await proxy.restore();
    await until(async () => (await connected()) === 1);
  });
});

describe('gatehouse_redis_connected without REDIS_URL', () => {
  it('is not exported: there is no Redis to be connected to', async () => {
    const t = await makeTestApp();
    try {
      expect((await scrape(t)).has('gatehouse_redis_connected')).toBe(false);
    } finally {
      await t.close();
    }
  });
});
