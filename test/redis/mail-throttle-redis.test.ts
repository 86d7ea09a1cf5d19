import pino from 'pino';
import request from 'supertest';
import { closeRedis, createRedisClient, RedisClient } from '../../src/lib/redis-client';
import type { TestApp } from '../helpers/make-app';
import { describeRedis, makeRedisApp, TEST_REDIS_URL, uniquePrefix } from './redis';

const quiet = pino({ level: 'silent' });

describeRedis('the mail forms\' throttles in Redis', () => {
  let client: RedisClient;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    client = createRedisClient(TEST_REDIS_URL as string, quiet);
    await client.connect();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((t) => t.close()));
  });
  afterAll(() => closeRedis(client));

  const forgot = (t: TestApp, email: string, ip: string) => request(t.app).post('/api/auth/forgot').set('X-Forwarded-For', ip).send({ email });
  const resend = (t: TestApp, email: string, ip: string) => request(t.app).post('/api/auth/verify/resend').set('X-Forwarded-For', ip).send({ email });

  it('counts forgot-password requests for one address across instances: the fourth is refused wherever it lands', async () => {
    const prefix = uniquePrefix();
    const a = await makeRedisApp(client, prefix);
    const b = await makeRedisApp(client, prefix);
    apps.push(a, b);
    for (const [t, ip] of [[a, '198.51.100.60'], [b, '198.51.100.61'], [a, '198.51.100.62']] as const) {
      expect((await forgot(t, 'someone@example.test', ip)).status).toBe(202);
    }
    const refused = await forgot(b, 'someone@example.test', '198.51.100.63');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await forgot(b, 'someone-else@example.test', '198.51.100.63')).status).toBe(202);
    const keys = (await client.sendCommand(['KEYS', `${prefix}throttle:*`])) as string[];
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toContain('someone');
  });

  it('counts resend-verification requests per IP across instances', async () => {
    const prefix = uniquePrefix();
    const a = await makeRedisApp(client, prefix);
    const b = await makeRedisApp(client, prefix);
    apps.push(a, b);
    for (let i = 0; i < 10; i += 1) {
      expect((await resend(i % 2 ? a : b, `nobody${i}@example.test`, '198.51.100.70')).status).toBe(202);
    }
    expect((await resend(a, 'nobody-more@example.test', '198.51.100.70')).status).toBe(429);
  });
});
