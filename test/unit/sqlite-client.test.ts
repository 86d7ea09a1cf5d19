import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

describe('SQLite transactions with two connections on one file (two processes)', () => {
  let dir: string;
  let first: Db;
  let second: Db;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-sqlite-'));
    const url = `sqlite:${path.join(dir, 'shared.sqlite')}`;
    first = createDb(url, process.cwd());
    second = createDb(url, process.cwd());
    await first.schema.createTable('tokens', (table) => { table.increments('id'); table.string('used'); });
    await first('tokens').insert([{ used: null }, { used: null }]);
  });
  afterAll(async () => {
    await first.destroy();
    await second.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a transaction that reads then claims holds the write lock from its start: the other connection\'s write waits, the claim never fails', async () => {
    // The other process's connection waits at most 50 ms for the lock (the app's own wait is 5 s).
    await second.raw('PRAGMA busy_timeout = 50');
    let otherWrite: unknown;
    await first.transaction(async (trx) => {
      const row = await trx('tokens').where({ id: 1 }).first();
      // Another process commits a write between the read and the claim: it must wait for this transaction.
      otherWrite = await second('tokens').where({ id: 2 }).update({ used: 'other' }).then(() => 'written', (error: Error) => (error as Error & { code?: string }).code);
      expect(await trx('tokens').where({ id: row.id }).whereNull('used').update({ used: 'claimed' })).toBe(1);
    });
    expect(otherWrite).toBe('SQLITE_BUSY');
    expect(await second('tokens').orderBy('id').pluck('used')).toEqual(['claimed', null]);
    // Once the transaction is over, the other connection writes as usual.
    expect(await second('tokens').where({ id: 2 }).update({ used: 'other' })).toBe(1);
  });
});
