import crypto from 'node:crypto';

/**
 * The rows `npm run seed` writes: made-up but shaped like a real installation's, so that
 * plans, page sizes and skew are realistic. Every value comes from a small generator seeded
 * by the row's number, so a run writes the same accounts and events each time.
 */
export const SEED_USERNAME_PREFIX = 'seed_';

const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Ken', 'Radia', 'Dennis',
  'Hedy', 'Tim', 'Katherine', 'Linus', 'Sophie', 'Guido', 'Adele', 'Bjarne', 'Karen', 'Niklaus', 'Shafi', 'Leslie', 'Anita',
  'Vint', 'Ruth', 'Robin', 'Jean', 'Whitfield', 'Maria', 'Ivan', 'Olga', 'Yuki', 'Mei', 'Ana', 'Lucía', 'Pedro', 'Chen', 'Wei'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'McCarthy', 'Hamilton', 'Thompson',
  'Perlman', 'Ritchie', 'Lamarr', 'Berners-Lee', 'Johnson', 'Torvalds', 'Wilson', 'van Rossum', 'Goldberg', 'Stroustrup',
  'Jones', 'Wirth', 'Goldwasser', 'Lamport', 'Borg', 'Cerf', 'Teitelbaum', 'Milner', 'Sammet', 'Diffie', 'García', 'Petrova',
  'Ivanov', 'Tanaka', 'Wang', 'Li', 'Silva', 'Martín', 'Zhang', 'Kowalski', 'Nakamura', 'Okafor', 'Haddad', 'Novak'];
const DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com', 'corp.example.org', 'uni.example.edu'];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Mobile Safari/537.36',
];
/** How often each event appears in a real log, roughly: sign-ins dominate. */
const EVENT_WEIGHTS: Array<[string, number]> = [
  ['logged_in', 40], ['login_failed', 20], ['logged_out', 12], ['verification_sent', 6], ['email_verified', 5],
  ['profile_updated', 5], ['sessions_revoked', 3], ['password_changed', 2], ['password_reset_requested', 2],
  ['password_reset', 1], ['email_change_requested', 1], ['email_changed', 1], ['refresh_reuse_detected', 1], ['roles_changed', 1],
];
const WORDS = ('session token audit index page cursor rotation family cache latency throughput replica shard ledger '
  + 'gateway account profile review draft release note quarter market harbour lantern quokka river meadow signal').split(' ');

const DAY_MS = 86_400_000;

/** mulberry32: a tiny seeded generator; one per row, so row N is the same whatever was seeded before it. */
export function rngFor(seed: number): () => number {
  let a = (seed * 2654435761) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: () => number, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

/** A few accounts have most of the activity, as in life: the busiest user gets ~2% of the events. */
export function skewedIndex(rng: () => number, count: number): number {
  return Math.min(count - 1, Math.floor(count * rng() ** 3));
}

function uuidFrom(rng: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function seedUsername(n: number): string {
  return `${SEED_USERNAME_PREFIX}${String(n).padStart(7, '0')}`;
}

/** Account n (1-based). All share one bcrypt hash, computed once per run. */
export function userRow(n: number, passwordHash: string, createdAt: Date) {
  const rng = rngFor(n);
  const first = pick(rng, FIRST);
  const last = pick(rng, LAST);
  const local = `${first}.${last}`.toLowerCase().normalize('NFD').replace(/[^a-z.]/g, '');
  return {
    public_id: uuidFrom(rng),
    username: seedUsername(n),
    email: `${local}.${n}@${pick(rng, DOMAINS)}`,
    first_name: first,
    second_name: rng() < 0.8 ? last : null,
    password_hash: passwordHash,
    is_reader: true,
    is_author: rng() < 0.05,
    is_admin: false,
    is_active: rng() > 0.02,
    is_verified: rng() < 0.9,
    token_version: 0,
    last_login_at: rng() < 0.7 ? new Date(createdAt.getTime() + rng() * 30 * DAY_MS) : null,
    created_at: createdAt,
    updated_at: createdAt,
  };
}

/**
 * Refresh-session row n: sign-ins of 1–4 rotations each, as the app writes them. The newest
 * row of a family is live, unless the family was signed out (20%) or has expired (10%).
 */
export function sessionRow(n: number, userIds: readonly number[], now: Date) {
  const rng = rngFor(1_000_003 + n);
  const family = Math.floor(n / 4);
  const familyRng = rngFor(2_000_003 + family);
  // Started at least 4 hours ago, so even a fourth rotation (an hour apart) is in the past.
  const startedAt = new Date(now.getTime() - 4 * 3_600_000 - familyRng() * 6 * DAY_MS);
  const createdAt = new Date(startedAt.getTime() + (n % 4) * 3_600_000);
  const lastOfFamily = n % 4 === 3;
  const fate = familyRng();
  const familyId = uuidFrom(familyRng);
  return {
    // Random, like the digests the app stores: a re-run after pruning can never collide.
    jti_hash: crypto.randomBytes(32).toString('hex'),
    family_id: familyId,
    user_id: pick(familyRng, userIds),
    family_created_at: startedAt,
    created_at: createdAt,
    expires_at: new Date(fate < 0.1 ? now.getTime() - DAY_MS : createdAt.getTime() + 7 * DAY_MS),
    used_at: lastOfFamily ? null : new Date(createdAt.getTime() + 3_600_000),
    replaced_by: lastOfFamily ? null : crypto.randomBytes(32).toString('hex'),
    revoked_at: fate > 0.8 ? new Date(createdAt.getTime() + 60_000) : null,
    revoke_reason: fate > 0.8 ? 'logout' : null,
    user_agent: pick(rng, AGENTS),
    ip: `203.0.113.${Math.floor(rng() * 250) + 1}`,
  };
}

export function auditRow(n: number, userIds: readonly number[], createdAt: Date) {
  const rng = rngFor(3_000_017 + n);
  let roll = rng() * EVENT_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
  const event = EVENT_WEIGHTS.find(([, weight]) => (roll -= weight) < 0)?.[0] ?? 'logged_in';
  const details = event === 'login_failed' ? { reason: 'password' } : event === 'logged_in' ? { family: uuidFrom(rng) } : null;
  return {
    event,
    user_id: userIds[skewedIndex(rng, userIds.length)]!,
    actor_id: null,
    ip: `198.51.100.${Math.floor(rng() * 250) + 1}`,
    user_agent: pick(rng, AGENTS),
    details: details ? JSON.stringify(details) : null,
    created_at: createdAt,
  };
}

export function articleRow(n: number, authorIds: readonly number[], createdAt: Date) {
  const rng = rngFor(4_000_037 + n);
  const sentence = () => Array.from({ length: 8 + Math.floor(rng() * 10) }, () => pick(rng, WORDS)).join(' ');
  const paragraph = () => Array.from({ length: 2 + Math.floor(rng() * 4) }, () => `${sentence()}.`).join(' ');
  const title = Array.from({ length: 3 + Math.floor(rng() * 5) }, () => pick(rng, WORDS)).join(' ');
  return {
    author_id: pick(rng, authorIds),
    title: `${title[0]!.toUpperCase()}${title.slice(1)}`,
    body: Array.from({ length: 2 + Math.floor(rng() * 3) }, paragraph).join('\n\n'),
    created_at: createdAt,
    updated_at: createdAt,
  };
}
