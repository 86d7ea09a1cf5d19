'use strict';
/**
 * Baseline (r), the bare refresh floor: what one refresh-token rotation costs on this hardware
 * and this database with nothing around it. A plain script run as `node refresh-floor.js`: no
 * HTTP, no TypeScript loader, no code of Gatehouse's. Each rotation is the transaction Gatehouse
 * runs (read the presented token's row with its user, claim it with a conditional UPDATE,
 * insert the new row, commit) through Knex on the same database, plus one RS256 signature of
 * an access token with a KeyObject. Rotations run in CONCURRENCY chains at once (each chain
 * presents the token the previous rotation issued), like requests on the server's pool.
 *
 * Prints one JSON line per repetition ({rep: {reqPerSec, cpuUsPerReq, ...}}), then one with the peak RSS.
 * With BENCH_REQUESTS a repetition ends after that many rotations instead of BENCH_DURATION_S.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const jwt = require('jsonwebtoken');
const knex = require('knex');

const url = process.env.BENCH_DATABASE_URL || '';
const privateKey = crypto.createPrivateKey(fs.readFileSync(process.env.BENCH_PRIVATE_KEY_FILE || '', 'utf8'));
const concurrency = Number(process.env.BENCH_CONCURRENCY || 10);
const durationS = Number(process.env.BENCH_DURATION_S || 10);
const warmupS = Number(process.env.BENCH_WARMUP_S || 0);
const reps = Number(process.env.BENCH_REPS || 3);
const count = process.env.BENCH_REQUESTS ? Number(process.env.BENCH_REQUESTS) : undefined;
const DAY_MS = 86400000;

function connect() {
  if (url.startsWith('sqlite:')) {
    return knex({
      client: 'better-sqlite3',
      connection: { filename: url.slice('sqlite:'.length) },
      useNullAsDefault: true,
      pool: {
        min: 1, max: 1, idleTimeoutMillis: Number.MAX_SAFE_INTEGER,
        afterCreate(conn, done) {
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          done(null, conn);
        },
      },
    });
  }
  const parsed = new URL(url);
  return knex({
    client: 'mysql2',
    connection: {
      host: parsed.hostname, port: Number(parsed.port || 3306), user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password), database: parsed.pathname.slice(1), charset: 'utf8mb4', timezone: 'Z',
    },
    pool: { min: 0, max: 10 },
  });
}

const db = connect();
const hash = (text) => crypto.createHash('sha256').update(text).digest('hex');

/** A user of its own and one live row per chain. */
async function setUp() {
  const now = new Date();
  const tag = crypto.randomBytes(4).toString('hex');
  await db('users').insert({
    public_id: crypto.randomUUID(), username: `refresh_floor_${tag}`, email: `refresh_floor_${tag}@example.test`,
    password_hash: 'x', token_version: 0, created_at: now, updated_at: now,
  });
  const user = await db('users').where({ username: `refresh_floor_${tag}` }).first();
  const chains = [];
  for (let i = 0; i < concurrency; i += 1) {
    const jti = crypto.randomUUID();
    const family = crypto.randomUUID();
    await db('refresh_sessions').insert({
      jti_hash: hash(jti), family_id: family, user_id: user.id, family_created_at: now, created_at: now,
      expires_at: new Date(now.getTime() + 7 * DAY_MS), user_agent: 'refresh-floor', ip: '127.0.0.1',
    });
    chains.push({ jti, family });
  }
  return chains;
}

/** One rotation: the statements of Gatehouse's, in one transaction, and one signature. */
async function rotate(chain) {
  const next = crypto.randomUUID();
  await db.transaction(async (trx) => {
    const now = new Date();
    const row = await trx('refresh_sessions').join('users', 'users.id', 'refresh_sessions.user_id')
      .where('refresh_sessions.jti_hash', hash(chain.jti))
      .first('refresh_sessions.*', 'users.public_id as u_public_id', 'users.username as u_username', 'users.is_active as u_is_active',
        'users.is_reader as u_is_reader', 'users.is_author as u_is_author', 'users.is_admin as u_is_admin', 'users.token_version as u_token_version');
    if (!row || row.revoked_at || !row.u_is_active) throw new Error('the chain broke');
    const iat = Math.floor(now.getTime() / 1000);
    jwt.sign({
      sub: row.u_public_id, type: 'access', username: row.u_username, is_reader: Boolean(row.u_is_reader),
      is_author: Boolean(row.u_is_author), is_admin: Boolean(row.u_is_admin), sid: row.family_id, ver: row.u_token_version,
      jti: crypto.randomUUID(), iat, exp: iat + 900, iss: 'gatehouse', aud: 'gatehouse',
    }, privateKey, { algorithm: 'RS256', keyid: 'floor' });
    const claimed = await trx('refresh_sessions').where({ id: row.id }).whereNull('used_at').whereNull('revoked_at')
      .update({ used_at: now, replaced_by: hash(next) });
    if (claimed !== 1) throw new Error('the claim was lost');
    await trx('refresh_sessions').insert({
      jti_hash: hash(next), family_id: row.family_id, user_id: row.user_id, family_created_at: row.family_created_at,
      created_at: now, expires_at: new Date(now.getTime() + 7 * DAY_MS), user_agent: row.user_agent, ip: row.ip,
    });
  });
  chain.jti = next;
}

async function run(chains, seconds, amount) {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  let rotations = 0;
  let begun = 0;
  await Promise.all(chains.map(async (chain) => {
    while (amount === undefined ? performance.now() < end : begun < amount) {
      begun += 1;
      await rotate(chain);
      rotations += 1;
    }
  }));
  const cpu = process.cpuUsage(cpuBefore);
  if (amount !== undefined) seconds = (performance.now() - started) / 1000;
  return {
    reqPerSec: rotations / seconds, p50Ms: NaN, p99Ms: NaN, maxMs: NaN, requests: rotations,
    non2xx: 0, errors: 0, timeouts: 0, cpuUsPerReq: (cpu.user + cpu.system) / Math.max(rotations, 1),
  };
}

async function main() {
  const chains = await setUp();
  // The warm-up's rotations are counted too, so the bench can divide the database's CPU by every rotation.
  if (warmupS > 0) process.stdout.write(`${JSON.stringify({ warmup: (await run(chains, warmupS)).requests })}\n`);
  for (let i = 0; i < reps; i += 1) process.stdout.write(`${JSON.stringify({ rep: await run(chains, durationS, count) })}\n`);
  process.stdout.write(`${JSON.stringify({ peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
  await db.destroy();
}

main().catch((error) => {
  process.stderr.write(`${error && error.message ? error.message : String(error)}\n`);
  process.exit(1);
});
