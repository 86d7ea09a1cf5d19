import { Db, toDate, toDateOrNull } from '../db/knex';
import { countUpTo, readPage, Seek } from '../db/keyset';
import type { KeysetResult } from '../lib/pagination';

/**
 * password_hash is a bcrypt hash of HMAC-SHA256(password) keyed with the hash's own salt
 * (see password.service.ts); it will not verify with a plain bcrypt compare.
 */
export interface UserRow {
  id: number;
  public_id: string;
  username: string;
  email: string;
  first_name: string | null;
  second_name: string | null;
  password_hash: string;
  is_reader: boolean;
  is_author: boolean;
  is_admin: boolean;
  is_active: boolean;
  is_verified: boolean;
  /** The language the user chose (en, ru, es, zh-CN), or null: the browser's then. */
  language: string | null;
  token_version: number;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type NewUser = Pick<UserRow, 'public_id' | 'username' | 'email' | 'first_name' | 'second_name' | 'password_hash'>
  & Partial<Pick<UserRow, 'is_reader' | 'is_author' | 'is_admin' | 'is_verified'>>;

export type UserPatch = Partial<Pick<UserRow,
  'email' | 'first_name' | 'second_name' | 'password_hash' | 'is_reader' | 'is_author' | 'is_admin' | 'is_active'
  | 'is_verified' | 'last_login_at' | 'language'>>;

const TABLE = 'users';

export function toUserRow(raw: Record<string, unknown>): UserRow {
  return {
    id: Number(raw.id),
    public_id: String(raw.public_id),
    username: String(raw.username),
    email: String(raw.email),
    first_name: (raw.first_name as string | null) ?? null,
    second_name: (raw.second_name as string | null) ?? null,
    password_hash: String(raw.password_hash),
    is_reader: Boolean(raw.is_reader),
    is_author: Boolean(raw.is_author),
    is_admin: Boolean(raw.is_admin),
    is_active: Boolean(raw.is_active),
    is_verified: Boolean(raw.is_verified),
    language: (raw.language as string | null | undefined) ?? null,
    token_version: Number(raw.token_version),
    last_login_at: toDateOrNull(raw.last_login_at),
    created_at: toDate(raw.created_at),
    updated_at: toDate(raw.updated_at),
  };
}

async function findOne(db: Db, where: Record<string, unknown>): Promise<UserRow | undefined> {
  const raw = await db(TABLE).where(where).first();
  return raw ? toUserRow(raw) : undefined;
}

export function findUserById(db: Db, id: number) {
  return findOne(db, { id });
}

export function findUserByPublicId(db: Db, publicId: string) {
  return findOne(db, { public_id: publicId });
}

/** Both columns compare case-insensitively in the database (see the users migration). */
export function findUserByUsername(db: Db, username: string) {
  return findOne(db, { username });
}

export function findUserByEmail(db: Db, email: string) {
  return findOne(db, { email: email.toLowerCase() });
}

export async function insertUser(db: Db, user: NewUser, now: Date): Promise<UserRow> {
  await db(TABLE).insert({ ...user, token_version: 0, created_at: now, updated_at: now });
  const created = await findUserByPublicId(db, user.public_id);
  if (!created) throw new Error('inserted user not found');
  return created;
}

export async function updateUser(db: Db, id: number, patch: UserPatch, now: Date): Promise<void> {
  await db(TABLE).where({ id }).update({ ...patch, updated_at: now });
}

/** Makes every access token issued so far stale on its next use. */
export async function bumpTokenVersion(db: Db, id: number, now: Date): Promise<void> {
  await db(TABLE).where({ id }).update({ token_version: db.raw('token_version + 1'), updated_at: now });
}

/**
 * The admin search. `q` matches the start of the username, the email or either name, in any
 * case, so each is one range of an index (see the indexes-for-scale migration). A `*` in q
 * stands for any characters: `*example.org` finds addresses anywhere, at the price of reading
 * every row. LIKE's own wildcards typed in q match literally.
 */
export function searchPattern(q: string): string {
  return `${q.replace(/[!%_]/g, '!$&').replace(/\*+/g, '%')}%`;
}

function matching(db: Db, q: string | undefined) {
  const query = db(TABLE);
  if (!q) return query;
  const pattern = searchPattern(q);
  return query.where((where) => {
    for (const column of ['username', 'email', 'first_name', 'second_name']) where.orWhereRaw("?? like ? escape '!'", [`${TABLE}.${column}`, pattern]);
  });
}

/** The admin's user list: newest accounts first, a page at a time (db/keyset.ts). */
export async function searchUsers(db: Db, q: string | undefined, limit: number, seek: Seek): Promise<KeysetResult<UserRow>> {
  const page = await readPage({ filtered: () => matching(db, q), idColumn: `${TABLE}.id`, select: (query) => query.select(`${TABLE}.*`), limit, seek });
  return { ...page, rows: page.rows.map(toUserRow) };
}

export function countUsers(db: Db, q?: string, cap?: number): Promise<number> {
  return countUpTo(db, () => matching(db, q), cap);
}

/** The row id behind a public id, for a page cursor (users are never named by their row id outside). */
export async function userIdOf(db: Db, publicId: string): Promise<number | undefined> {
  const row = await db(TABLE).where({ public_id: publicId }).first('id');
  return row ? Number(row.id) : undefined;
}

/**
 * The ids of the active admins. With `forUpdate` (MySQL, inside a transaction) their rows stay
 * locked until it ends, so two admins demoting each other at once cannot both succeed.
 */
export async function listActiveAdminIds(db: Db, options: { forUpdate: boolean }): Promise<number[]> {
  const query = db(TABLE).where({ is_admin: true, is_active: true }).select('id').orderBy('id');
  const rows = options.forUpdate ? await query.forUpdate() : await query;
  return rows.map((row: { id: unknown }) => Number(row.id));
}
