import { createDb, Db } from '../../src/db/knex';

describe('the SQLite client keeps its prepared statements', () => {
  let db: Db;
  let prepared: string[];
  beforeAll(async () => {
    db = createDb('sqlite::memory:', process.cwd());
    await db.schema.createTable('things', (table) => { table.increments('id'); table.string('name'); });
    // The one raw connection of the pool: count what SQLite is asked to prepare.
    const connection = await db.client.acquireConnection();
    const prepare = connection.prepare.bind(connection);
    prepared = [];
    connection.prepare = (sql: string) => { prepared.push(sql); return prepare(sql); };
    await db.client.releaseConnection(connection);
  });
  afterAll(async () => { await db.destroy(); });

  it('prepares a query once however often it runs, each run with its own values', async () => {
    for (let i = 0; i < 5; i += 1) await db('things').insert({ name: `thing ${i}` });
    const names = [];
    for (let i = 1; i <= 5; i += 1) names.push((await db('things').where({ id: i }).first()).name);
    expect(names).toEqual(['thing 0', 'thing 1', 'thing 2', 'thing 3', 'thing 4']);
    expect(prepared.filter((sql) => sql.startsWith('insert'))).toHaveLength(1);
    expect(prepared.filter((sql) => sql.startsWith('select'))).toHaveLength(1);
  });

  it('still answers a kept statement after the schema changed under it', async () => {
    const read = () => db('things').where({ id: 1 }).first();
    expect(await read()).toEqual({ id: 1, name: 'thing 0' });
    await db.schema.alterTable('things', (table) => { table.string('colour').defaultTo('blue'); });
    expect(await read()).toEqual({ id: 1, name: 'thing 0', colour: 'blue' });
  });

  it('keeps transactions working: a rolled-back write is gone', async () => {
    await expect(db.transaction(async (trx) => {
      await trx('things').insert({ name: 'never' });
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(await db('things').where({ name: 'never' }).first()).toBeUndefined();
  });
});
