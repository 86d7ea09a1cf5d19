import type { Db } from '../db/knex';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors/app-error';
import type { Clock } from '../lib/clock';
import { msg } from '../lib/i18n';
import { seekFor } from '../db/keyset';
import { createCountCache } from '../lib/count-cache';
import { keysetPaged, Paged, PageRequest } from '../lib/pagination';
import * as Articles from '../models/article.model';
import { findUserByPublicId, UserRow } from '../models/user.model';

export const ARTICLES_PER_PAGE = 10;

export const ARTICLE_MESSAGES = {
  notFound: msg('articles.message.notFound'),
} as const;

/** The only shape of an article that reaches a view or a JSON body: the author by public id and name. */
export interface PublicArticle {
  id: number;
  title: string;
  body: string;
  author: { id: string; username: string };
  created_at: string;
  updated_at: string;
}

export interface ArticleInput {
  title: string;
  body: string;
}

/** Who is acting: the signed-in user's public id (req.user fits). Roles are read from the database. */
export interface Actor {
  id: string;
}

export interface ArticleService {
  list(request: PageRequest): Promise<Paged<PublicArticle>>;
  get(id: number): Promise<PublicArticle>;
  /** Whether this user may edit and delete this article: the buttons on the article page. */
  canModify(actor: Actor, article: PublicArticle): Promise<boolean>;
  getForEditing(actor: Actor, id: number): Promise<PublicArticle>;
  create(actor: Actor, input: ArticleInput): Promise<PublicArticle>;
  update(actor: Actor, id: number, input: ArticleInput): Promise<PublicArticle>;
  remove(actor: Actor, id: number): Promise<void>;
}

export function toPublicArticle(row: Articles.ArticleWithAuthorRow): PublicArticle {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    author: { id: row.author_public_id, username: row.author_username },
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/**
 * Bodies are plain text: paragraphs are separated by blank lines, and lines inside a paragraph
 * stay lines. The view escapes every piece; nothing typed is ever treated as HTML.
 */
export function toParagraphs(body: string): string[][] {
  return body
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph.length > 0)
    .map((paragraph) => paragraph.split('\n'));
}

/**
 * The ownership rule, decided here and nowhere else: authors write, and change only their own
 * articles; admins change any. Roles come from the user's row, not from the token.
 */
function mayWrite(user: UserRow): boolean {
  return user.is_active && (user.is_author || user.is_admin);
}

function mayModify(user: UserRow, authorPublicId: string): boolean {
  return user.is_active && (user.is_admin || (user.is_author && user.public_id === authorPublicId));
}

export function createArticleService(deps: { db: Db; clock: Clock }): ArticleService {
  const { db, clock } = deps;
  const counts = createCountCache();

  async function actingUser(actor: Actor): Promise<UserRow> {
    const user = await findUserByPublicId(db, actor.id);
    if (!user) throw new UnauthorizedError();
    return user;
  }

  async function modifiable(actor: Actor, id: number): Promise<PublicArticle> {
    const article = await service.get(id);
    if (!mayModify(await actingUser(actor), article.author.id)) throw new ForbiddenError();
    return article;
  }

  const service: ArticleService = {
    async list(request) {
      const seek = await seekFor(request, ARTICLES_PER_PAGE, Number);
      const [result, total] = await Promise.all([
        Articles.listArticles(db, ARTICLES_PER_PAGE, seek),
        counts.total('articles', (cap) => Articles.countArticles(db, cap)),
      ]);
      return keysetPaged(result, request, ARTICLES_PER_PAGE, total, toPublicArticle, (row) => String(row.id));
    },

    async get(id) {
      const row = await Articles.findArticleById(db, id);
      if (!row) throw new NotFoundError(ARTICLE_MESSAGES.notFound);
      return toPublicArticle(row);
    },

    async canModify(actor, article) {
      return mayModify(await actingUser(actor), article.author.id);
    },

    getForEditing(actor, id) {
      return modifiable(actor, id);
    },

    async create(actor, input) {
      const user = await actingUser(actor);
      if (!mayWrite(user)) throw new ForbiddenError();
      const id = await Articles.insertArticle(db, { author_id: user.id, title: input.title, body: input.body }, clock.now());
      return service.get(id);
    },

    async update(actor, id, input) {
      await modifiable(actor, id);
      await Articles.updateArticle(db, id, { title: input.title, body: input.body }, clock.now());
      return service.get(id);
    },

    async remove(actor, id) {
      await modifiable(actor, id);
      await Articles.deleteArticle(db, id);
    },
  };
  return service;
}
