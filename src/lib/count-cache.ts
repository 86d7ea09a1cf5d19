/**
 * Totals for list pages and the dashboard that never make a request scan a large table.
 *
 * A count is first taken with a cap (at most COUNT_EXACT_UP_TO + 1 index entries): a small
 * total (a new install, one user's events, a narrow search) is exact and current on every
 * request. A total past the cap is counted in full once and then served from memory for
 * COUNT_TTL_MS; meanwhile rows written since are not in it. "Page 3 of 20,417 · 408,322
 * events" needs no more precision than that, and the rows of each page are always read fresh.
 * Concurrent requests for one total share a single count. The clock is the real one: this is
 * a performance detail, not domain time.
 */
export const COUNT_EXACT_UP_TO = 1000;
export const COUNT_TTL_MS = 30_000;
const MAX_ENTRIES = 1000;

/** Counts the filter's rows; with `cap`, stops after that many. */
export type Counter = (cap?: number) => Promise<number>;

export interface CountCache {
  total(key: string, count: Counter): Promise<number>;
}

export function createCountCache(options: { ttlMs?: number; exactUpTo?: number } = {}): CountCache {
  const { ttlMs = COUNT_TTL_MS, exactUpTo = COUNT_EXACT_UP_TO } = options;
  const large = new Map<string, { value: number; until: number }>();
  const inFlight = new Map<string, Promise<number>>();

  function countInFull(key: string, count: Counter): Promise<number> {
    let pending = inFlight.get(key);
    if (!pending) {
      pending = count().then((value) => {
        // Least recently stored out first: the map keeps insertion order.
        if (large.size >= MAX_ENTRIES) large.delete(large.keys().next().value as string);
        large.set(key, { value, until: Date.now() + ttlMs });
        return value;
      }).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  }

  return {
    async total(key, count) {
      const cached = large.get(key);
      if (cached && cached.until > Date.now()) return cached.value;
      const capped = await count(exactUpTo + 1);
      if (capped <= exactUpTo) {
        large.delete(key);
        return capped;
      }
      return countInFull(key, count);
    },
  };
}
