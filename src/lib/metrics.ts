import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/**
 * Prometheus metrics, one registry per app (tests build many apps in one process).
 *
 * Labels are declared with every value they may take, so no label can ever carry a username,
 * an email, an IP or a token: TypeScript refuses any other value, and at run time a value that
 * slipped through is counted as "other". Every series starts at 0, so a rate() works from the
 * first scrape and a test can see exactly which series moved.
 *
 * Adding a metric anywhere that has the app's Metrics is one line:
 *   const failures = metrics.counter('gatehouse_mail_send_failures_total', 'Mails that could not be sent');
 *   metrics.gauge('gatehouse_mail_outbox_depth', 'Mails waiting to be sent', () => outbox.count());
 */
export type LabelSpec = Readonly<Record<string, readonly string[]>>;
export type LabelValues<S extends LabelSpec> = { readonly [K in keyof S]: S[K][number] };

export interface CounterHandle<S extends LabelSpec> {
  inc(...args: keyof S extends never ? [labels?: Record<string, never>, by?: number] : [labels: LabelValues<S>, by?: number]): void;
}

export interface Metrics {
  readonly registry: Registry;
  /** The same name twice returns the same counter: modules may each declare what they count. */
  counter<S extends LabelSpec = Record<never, never>>(name: string, help: string, labels?: S): CounterHandle<S>;
  /** A value read at each scrape: a queue depth, a pool's size, 1 or 0 for up or down. */
  gauge(name: string, help: string, read: () => number | Promise<number>): void;
  /** The Prometheus text exposition; process metrics start with the first scrape. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

const OTHER = 'other';

export function createMetrics(): Metrics {
  const registry = new Registry();
  const counters = new Map<string, CounterHandle<LabelSpec>>();
  let processMetrics = false;

  return {
    registry,
    counter<S extends LabelSpec>(name: string, help: string, labels?: S): CounterHandle<S> {
      const existing = counters.get(name);
      if (existing) return existing as unknown as CounterHandle<S>;
      const spec: LabelSpec = labels ?? {};
      const names = Object.keys(spec);
      const counter = new Counter({ name, help, labelNames: names, registers: [registry] });
      for (const combination of combinations(spec)) counter.inc(combination, 0);
      const handle: CounterHandle<LabelSpec> = {
        inc(values?: Record<string, string>, by = 1) {
          if (names.length === 0) return counter.inc(by);
          const safe: Record<string, string> = {};
          for (const label of names) {
            const value = values?.[label];
            safe[label] = value !== undefined && spec[label]!.includes(value) ? value : OTHER;
          }
          counter.inc(safe, by);
        },
      };
      counters.set(name, handle);
      return handle as unknown as CounterHandle<S>;
    },

    gauge(name, help, read) {
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          this.set(await read());
        },
      });
    },

    async scrape() {
      // Started on demand: an app that is never scraped (most tests) sets up no GC observer or event-loop monitor.
      if (!processMetrics) collectDefaultMetrics({ register: registry });
      processMetrics = true;
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** Every combination of the declared label values: the series that start at 0. */
function combinations(spec: LabelSpec): Array<Record<string, string>> {
  return Object.entries(spec).reduce<Array<Record<string, string>>>(
    (partial, [label, values]) => partial.flatMap((labels) => values.map((value) => ({ ...labels, [label]: value }))),
    [{}],
  );
}

/** Counted in more than one module (the rate limiter counts "throttled"), so declared once. */
export const LOGIN_OUTCOMES = ['success', 'wrong_credentials', 'throttled', 'unverified', 'second_factor_pending'] as const;
export type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];

export function loginCounter(metrics: Metrics) {
  return metrics.counter('gatehouse_logins_total', 'Login attempts, form and API, by outcome', { outcome: LOGIN_OUTCOMES });
}

/** Every limit that can answer 429 (express-rate-limit's and the mail forms' own), as named where it is built. */
export const RATE_LIMITERS = [
  'auth-ip', 'login-account-ip', 'login-account-ip-day', 'register-ip', 'password-check-user',
  'forgot-ip', 'forgot-address', 'verify-resend-ip', 'verify-resend-address', 'user-mail',
] as const;
export type RateLimiterName = (typeof RATE_LIMITERS)[number];
