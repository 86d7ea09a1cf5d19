import { createCountCache } from '../../src/lib/count-cache';

/** A table of `rows` rows whose counts are recorded: how often it was counted, and with which cap. */
function table(rows: number) {
  const calls: Array<number | undefined> = [];
  let size = rows;
  return {
    calls,
    grow(by: number) { size += by; },
    count: async (cap?: number) => {
      calls.push(cap);
      return cap === undefined ? size : Math.min(size, cap);
    },
  };
}

describe('the count cache', () => {
  test('a total up to the cap is counted exactly, with the cap, on every call: it is never stale', async () => {
    const cache = createCountCache({ exactUpTo: 100 });
    const small = table(40);
    expect(await cache.total('k', small.count)).toBe(40);
    small.grow(3);
    expect(await cache.total('k', small.count)).toBe(43);
    expect(small.calls).toEqual([101, 101]);
  });

  test('a total past the cap is counted in full once, then served from memory until the TTL ends', async () => {
    const cache = createCountCache({ exactUpTo: 100, ttlMs: 60_000 });
    const large = table(5000);
    expect(await cache.total('k', large.count)).toBe(5000);
    large.grow(10);
    expect(await cache.total('k', large.count)).toBe(5000);
    expect(large.calls).toEqual([101, undefined]);
  });

  test('after the TTL the full count runs again', async () => {
    const cache = createCountCache({ exactUpTo: 100, ttlMs: 0 });
    const large = table(5000);
    await cache.total('k', large.count);
    large.grow(10);
    expect(await cache.total('k', large.count)).toBe(5010);
    expect(large.calls.filter((cap) => cap === undefined)).toHaveLength(2);
  });

  test('concurrent requests for one large total share a single full count', async () => {
    const cache = createCountCache({ exactUpTo: 100 });
    const large = table(5000);
    const totals = await Promise.all(Array.from({ length: 10 }, () => cache.total('k', large.count)));
    expect(totals).toEqual(Array(10).fill(5000));
    expect(large.calls.filter((cap) => cap === undefined)).toHaveLength(1);
  });

  test('totals are kept per key', async () => {
    const cache = createCountCache({ exactUpTo: 100 });
    const a = table(500);
    const b = table(700);
    expect([await cache.total('a', a.count), await cache.total('b', b.count)]).toEqual([500, 700]);
  });

  test('a failed count is not remembered: the next request counts again', async () => {
    const cache = createCountCache({ exactUpTo: 100 });
    let fail = true;
    const count = async (cap?: number) => {
      if (cap === undefined && fail) throw new Error('database away');
      return cap === undefined ? 5000 : cap;
    };
    await expect(cache.total('k', count)).rejects.toThrow('database away');
    fail = false;
    expect(await cache.total('k', count)).toBe(5000);
  });
});
