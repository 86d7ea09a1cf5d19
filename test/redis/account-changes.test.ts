import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { closeRedis, createRedisClient, createRedisSubscriber, RedisClient } from '../../src/lib/redis-client';
import { createRedisAccountChanges } from '../../src/services/account-changes';
import { apiLogin, createUser, signIn } from '../helpers/factories';
import type { TestApp } from '../helpers/make-app';
import { startTcpProxy } from '../helpers/tcp-proxy';
import { capturingLogger, describeRedis, makeRedisApp, TEST_REDIS_URL, uniquePrefix } from './redis';

const quiet = pino({ level: 'silent' });

/**
 * Two app instances on one database and one Redis: a change made through one is refused or
 * shown by the other on the very next request — inside the second its cache may keep an
 * answer, so each test first warms that cache on the other instance.
 */
describeRedis('account changes between instances (Redis pub/sub)', () => {
  let dir: string;
  let commands: RedisClient;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-changes-'));
    commands = createRedisClient(TEST_REDIS_URL as string, quiet);
    await commands.connect();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  afterAll(async () => {
    await closeRedis(commands);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Two instances sharing a SQLite file, each with its own subscriber connection (through `redisUrl`). */
  async function pair(options: { redisUrl?: string; logger?: pino.Logger } = {}): Promise<[TestApp, TestApp]> {
    const prefix = uniquePrefix();
    const env = { DATABASE_URL: `sqlite:${path.join(dir, `${prefix.replace(/\W/g, '')}.sqlite`)}` };
    const instances: TestApp[] = [];
    for (let i = 0; i < 2; i += 1) {
      const subscriber = createRedisSubscriber(options.redisUrl ?? (TEST_REDIS_URL as string), options.logger ?? quiet);
      subscriber.connect().catch(() => undefined);
      const t = await makeRedisApp(commands, prefix, { env, redisSubscriber: subscriber, logger: options.logger });
      closers.push(() => closeRedis(subscriber), () => t.close());
      await t.app.services.accountChanges.ready;
      instances.push(t);
    }
    return instances as [TestApp, TestApp];
  }

  const bearerOn = (t: TestApp, token: string) => request(t.app).get('/api/me').set('Authorization', `Bearer ${token}`);

  it('a session signed out on A is refused on B at the next request', async () => {
    const [a, b] = await pair();
    const user = await createUser(a);
    const { access_token: access, refresh_token: refresh } = await apiLogin(a, user);
    expect((await bearerOn(b, access)).status).toBe(200); // B now caches "live"
    expect((await request(a.app).post('/api/auth/logout').send({ refresh_token: refresh })).status).toBe(204);
    const refused = await bearerOn(b, access);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('session_revoked');
  });

  it('"sign out all other sessions" on A ends the other browser on B at once', async () => {
    const [a, b] = await pair();
    const user = await createUser(a);
    const other = await signIn(a, user);
    const { access_token: access } = await apiLogin(a, user);
    expect((await bearerOn(b, access)).status).toBe(200);
    await other.get('/me/sessions');
    expect((await other.submit('/me/sessions/revoke-others', {})).status).toBe(303);
    expect((await bearerOn(b, access)).body.error.code).toBe('session_revoked');
  });

  it('a profile edit on A shows on B at once, and a role change makes the token stale on B', async () => {
    const [a, b] = await pair();
    const admin = await createUser(a, { roles: { is_admin: true } });
    const user = await createUser(a);
    const { access_token: access } = await apiLogin(a, user);
    expect((await bearerOn(b, access)).body.first_name).toBeNull();
    const patched = await request(a.app).patch('/api/me').set('Authorization', `Bearer ${access}`).send({ first_name: 'Renamed' });
    expect(patched.status).toBe(200);
    expect((await bearerOn(b, access)).body.first_name).toBe('Renamed');

    const browser = await signIn(a, admin);
    await browser.get(`/admin/users/${user.id}`);
    const roles = await browser.submit(`/admin/users/${user.id}`, { is_reader: '1', is_author: '1', is_active: '1' });
    expect(roles.status).toBe(303);
    expect((await bearerOn(b, access)).body.error.code).toBe('token_stale');
  });

  it('while Redis is unreachable, changes still reach B within the cache\'s second, and the outage is logged', async () => {
    const url = new URL(TEST_REDIS_URL as string);
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    closers.push(() => proxy.close());
    const { logger, lines } = capturingLogger();
    const [a, b] = await pair({ redisUrl: `redis://127.0.0.1:${proxy.port}`, logger });
    const user = await createUser(a);
    const { access_token: access, refresh_token: refresh } = await apiLogin(a, user);
    expect((await bearerOn(b, access)).status).toBe(200);

    await proxy.cut();
    await request(a.app).post('/api/auth/logout').send({ refresh_token: refresh });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await bearerOn(b, access)).body.error.code).toBe('session_revoked');
    expect(lines().some((line) => line.level === 40 && /redis subscription lost/.test(line.msg))).toBe(true);

    // Back: the subscriptions return by themselves, and B hears A at once again.
    await proxy.restore();
    const second = await apiLogin(a, user);
    const until = Date.now() + 10_000;
    while (!lines().some((line) => /redis subscription back/.test(line.msg)) || lines().filter((line) => /redis subscription back/.test(line.msg)).length < 2) {
      if (Date.now() > until) throw new Error('the subscriptions did not come back');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await bearerOn(b, second.access_token)).status).toBe(200);
    await request(a.app).post('/api/auth/logout').send({ refresh_token: second.refresh_token });
    expect((await bearerOn(b, second.access_token)).body.error.code).toBe('session_revoked');
  });

  describe('publishing waits for the other instances', () => {
    /** An instance's account-change channel alone, with what its cache was told to drop. */
    async function listener(channel: string, logger = quiet) {
      const subscriber = createRedisSubscriber(TEST_REDIS_URL as string, quiet);
      await subscriber.connect();
      closers.push(() => closeRedis(subscriber));
      const changes = createRedisAccountChanges({ commands, subscriber, channel, logger });
      const dropped: Array<number | null> = [];
      changes.subscribe((userId) => void dropped.push(userId));
      await changes.ready;
      return { changes, dropped };
    }

    it('resolves only once every other instance has dropped the user', async () => {
      const channel = `${uniquePrefix()}account-changes`;
      const [a, b, c] = [await listener(channel), await listener(channel), await listener(channel)];
      for (let userId = 1; userId <= 20; userId += 1) {
        await a.changes.publish(userId);
        // No waiting of any kind here: B and C have already heard it.
        expect(b.dropped.at(-1)).toBe(userId);
        expect(c.dropped.at(-1)).toBe(userId);
      }
      expect(a.dropped).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('gives up on an instance that does not confirm after half a second, and says so once', async () => {
      const channel = `${uniquePrefix()}account-changes`;
      const { logger, lines } = capturingLogger();
      const a = await listener(channel, logger);
      // Subscribed, so PUBLISH counts it, but it never acknowledges (a stuck or older instance).
      const silent = createRedisSubscriber(TEST_REDIS_URL as string, quiet);
      await silent.connect();
      closers.push(() => closeRedis(silent));
      const heard: string[] = [];
      await silent.subscribe(channel, (message) => void heard.push(message));

      await a.changes.publish(7);
      await a.changes.publish(8);
      expect(heard).toHaveLength(2);
      const warnings = lines().filter((line) => /did not confirm an account change/.test(line.msg));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.level).toBe(40);
    });
  });
});
