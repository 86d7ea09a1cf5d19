import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../../src/db/knex';

describe('a SQLite file database', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-knex-')); });
  afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  /** PRAGMA synchronous answers 1 for NORMAL and 2 for FULL. */
  async function pragmasOf(options: Parameters<typeof createDb>[2]) {
    const db = createDb(`sqlite:${path.join(dir, `${Math.random()}.sqlite`)}`, dir, options);
    try {
      const [journal] = await db.raw('pragma journal_mode');
      const [sync] = await db.raw('pragma synchronous');
      const [cache] = await db.raw('pragma cache_size');
      return { journal: journal.journal_mode, synchronous: sync.synchronous, cacheSize: cache.cache_size };
    } finally {
      await db.destroy();
    }
  }

  it('runs in WAL mode with synchronous=NORMAL by default (a commit does not wait for an fsync) and a 4 MB page cache', async () => {
    expect(await pragmasOf({})).toEqual({ journal: 'wal', synchronous: 1, cacheSize: -4000 });
  });

  it('waits for an fsync on every commit with SQLITE_SYNCHRONOUS=full', async () => {
    expect(await pragmasOf({ sqliteSynchronous: 'full' })).toEqual({ journal: 'wal', synchronous: 2, cacheSize: -4000 });
  });
});
