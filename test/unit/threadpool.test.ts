import { bcryptSlots, createLimiter, libuvPoolSize } from '../../src/lib/threadpool';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => { resolve = done; });
  return { promise, resolve };
}

describe('the libuv thread pool budget for bcrypt', () => {
  test('the pool is what UV_THREADPOOL_SIZE says, else libuv\'s default of 4', () => {
    expect(libuvPoolSize({})).toBe(4);
    expect(libuvPoolSize({ UV_THREADPOOL_SIZE: '9' })).toBe(9);
    expect(libuvPoolSize({ UV_THREADPOOL_SIZE: 'lots' })).toBe(4);
    expect(libuvPoolSize({ UV_THREADPOOL_SIZE: '0' })).toBe(4);
    expect(libuvPoolSize({ UV_THREADPOOL_SIZE: '5000' })).toBe(1024);
  });

  test('bcrypt gets one slot per core and always leaves a pool thread free, with at least one slot', () => {
    expect(bcryptSlots(4, 2)).toBe(2);
    expect(bcryptSlots(4, 16)).toBe(3);
    expect(bcryptSlots(17, 16)).toBe(16);
    expect(bcryptSlots(1, 8)).toBe(1);
  });
});

describe('createLimiter', () => {
  test('runs at most `slots` tasks at once and starts the waiting ones first come, first served', async () => {
    const limit = createLimiter(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const results = gates.map((gate, i) => limit(async () => {
      started.push(i);
      await gate.promise;
      return i;
    }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    await results[1];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.resolve();
    gates[2]!.resolve();
    gates[3]!.resolve();
    await expect(Promise.all(results)).resolves.toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]);
  });

  test('a task that fails frees its slot and its caller gets the error', async () => {
    const limit = createLimiter(1);
    await expect(limit(async () => { throw new Error('hash failed'); })).rejects.toThrow('hash failed');
    await expect(limit(async () => 'next')).resolves.toBe('next');
  });
});
