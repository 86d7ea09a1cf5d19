import { Db, toDate } from '../db/knex';
import { countUpTo, readPage, Seek } from '../db/keyset';
import type { KeysetResult } from '../lib/pagination';

export interface ArticleRow {
  id: number;
  author_id: number;
  title: string;
  body: string;
  created_at: Date;
  updated_at: Date;
}

/** An article with the public face of its author, as the pages and the API show it. */
export interface ArticleWithAuthorRow extends ArticleRow {
  author_public_id: string;
  author_username: string;
}

export type NewArticle = Pick<ArticleRow, 'author_id' | 'title' | 'body'>;
export type ArticlePatch = Partial<Pick<ArticleRow, 'title' | 'body'>>;

const TABLE = 'articles';

function toArticleRow(raw: Record<string, unknown>): ArticleRow {
  return {
    id: Number(raw.id),
    author_id: Number(raw.author_id),
    title: String(raw.title),
    body: String(raw.body),
    created_at: toDate(raw.created_at),
    updated_at: toDate(raw.updated_at),
  };
}

function toArticleWithAuthor(raw: Record<string, unknown>): ArticleWithAuthorRow {
  return { ...toArticleRow(raw), author_public_id: String(raw.author_public_id), author_username: String(raw.author_username) };
}

function withAuthor(query: ReturnType<Db>) {
  return query
    .join('users', 'users.id', `${TABLE}.author_id`)
    .select(`${TABLE}.*`, 'users.public_id as author_public_id', 'users.username as author_username');
}

export async function findArticleById(db: Db, id: number): Promise<ArticleWithAuthorRow | undefined> {
  const raw = await withAuthor(db(TABLE)).where(`${TABLE}.id`, id).first();
  return raw ? toArticleWithAuthor(raw) : undefined;
}

/** Newest first by id (ids follow publication order), a page at a time (db/keyset.ts). */
export async function listArticles(db: Db, limit: number, seek: Seek): Promise<KeysetResult<ArticleWithAuthorRow>> {
  const page = await readPage({ filtered: () => db(TABLE), idColumn: `${TABLE}.id`, select: withAuthor, limit, seek });
  return { ...page, rows: page.rows.map(toArticleWithAuthor) };
}

export function countArticles(db: Db, cap?: number): Promise<number> {
  return countUpTo(db, () => db(TABLE), cap);
}

export async function insertArticle(db: Db, article: NewArticle, now: Date): Promise<number> {
  const [id] = await db(TABLE).insert({ ...article, created_at: now, updated_at: now });
  return Number(id);
}

export async function updateArticle(db: Db, id: number, patch: ArticlePatch, now: Date): Promise<void> {
  await db(TABLE).where({ id }).update({ ...patch, updated_at: now });
}

export async function deleteArticle(db: Db, id: number): Promise<number> {
  return db(TABLE).where({ id }).delete();
}

/** A user's own articles, oldest first, for the export. */
export async function listArticlesOfAuthor(db: Db, authorId: number): Promise<ArticleRow[]> {
  const rows = await db(TABLE).where({ author_id: authorId }).orderBy('id');
  return rows.map(toArticleRow);
}

/** The articles rule of account deletion (docs/account.md): they go with their author. */
export async function deleteArticlesOfAuthor(db: Db, authorId: number): Promise<number> {
  return db(TABLE).where({ author_id: authorId }).delete();
}
