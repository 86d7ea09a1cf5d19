import crypto from 'node:crypto';
import knex from 'knex';

/**
 * MySQL/MariaDB suites run when TEST_MYSQL_URL is set (CI sets it) and are skipped, by name,
 * otherwise. Each suite gets its own throw-away database so suites can run in parallel.
 */
export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL;

export const describeMysql: jest.Describe = TEST_MYSQL_URL
  ? describe
  : (((name: string, fn: () => void) => describe.skip(`${name} (skipped: TEST_MYSQL_URL is not set)`, fn)) as unknown as jest.Describe);

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createScratchMysqlDatabase(): Promise<ScratchDatabase> {
  if (!TEST_MYSQL_URL) throw new Error('TEST_MYSQL_URL is not set');
  const base = new URL(TEST_MYSQL_URL);
  const name = `gatehouse_test_${crypto.randomBytes(5).toString('hex')}`;
  const admin = knex({
    client: 'mysql2',
    connection: {
      host: base.hostname,
      port: Number(base.port || 3306),
      user: decodeURIComponent(base.username),
      password: decodeURIComponent(base.password),
    },
    pool: { min: 0, max: 1 },
  });
  try {
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(TEST_MYSQL_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const dropper = knex({ client: 'mysql2', connection: { host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) } });
      try {
        await dropper.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await dropper.destroy();
      }
    },
  };
}
