import { migrateLatest } from '../../src/db/migrate';
import { createDb, Db } from '../../src/db/knex';
import { seed } from '../../src/db/seed';
import { ROOT_DIR } from '../../src/config/env';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';

const SEEDED = "users.username like 'seed!_%' escape '!'";

describeMysql('the seeder on MariaDB', () => {
  let scratch: ScratchDatabase;
  let db: Db;
  beforeAll(async () => {
    scratch = await createScratchMysqlDatabase();
    db = createDb(scratch.url, ROOT_DIR);
    await migrateLatest(db, ROOT_DIR);
  });
  afterAll(async () => {
    await db.destroy();
    await scratch.drop();
  });

  const counts = async () => {
    const of = async (table: string, owner: string) => Number((await db(table).join('users', 'users.id', `${table}.${owner}`).whereRaw(SEEDED).count({ n: '*' }).first())?.n);
    return {
      users: Number((await db('users').whereRaw(SEEDED).count({ n: '*' }).first())?.n),
      sessions: await of('refresh_sessions', 'user_id'),
      audit: await of('audit_events', 'user_id'),
      articles: await of('articles', 'author_id'),
    };
  };
  const hash = async () => '$2b$04$seedseedseedseedseedseOq3p7yH0l0FzqQkq0yNQ7m8m8m8m8m8';

  test('writes the counts asked for in batches, and a second run with the same numbers adds nothing', async () => {
    const target = { users: 700, sessions: 1300, audit: 2600, articles: 230 };
    const first = await seed(db, { counts: target, passwordHash: hash });
    expect(first.users).toMatchObject({ before: 0, added: 700 });
    expect(await counts()).toEqual(target);
    const second = await seed(db, { counts: target, passwordHash: hash });
    expect(Object.values(second).map((kind) => kind.added)).toEqual([0, 0, 0, 0]);
    expect(await counts()).toEqual(target);
  });

  test('reset deletes everything seeded before seeding again', async () => {
    await seed(db, { counts: { users: 5, sessions: 0, audit: 10, articles: 0 }, reset: true, passwordHash: hash });
    expect(await counts()).toEqual({ users: 5, sessions: 0, audit: 10, articles: 0 });
  });
});
