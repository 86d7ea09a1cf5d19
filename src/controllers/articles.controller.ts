import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { msg } from '../lib/i18n';
import type { PageRequest } from '../lib/pagination';
import { signedInUser } from '../middleware/require-auth';
import { ArticleInput, toParagraphs } from '../services/article.service';
import type { AppContext } from '../types/context';
import { articleIdOf } from '../validators/article.validators';

/**
 * Re-rendered forms keep typed values cut to 2 kB (see keptValues); an article can be ten
 * times that, and an author must never lose text to a typo in the title.
 */
function typedBody(req: Request) {
  return { typedBody: typeof req.body?.body === 'string' ? req.body.body : '' };
}

export const ARTICLE_PAGES = {
  new: { view: 'articles/form', title: msg('articles.form.newTitle'), load: typedBody },
  edit: { view: 'articles/form', title: msg('articles.form.editTitle'), load: typedBody },
};

export function createArticlesController({ services }: AppContext) {
  return {
    async index(req: Request, res: Response) {
      const { page = 1, after, before } = matchedData(req, { locations: ['query'] }) as Partial<PageRequest>;
      res.render('articles/index', { title: msg('articles.index.title'), articles: await services.articles.list({ page, after, before }) });
    },

    async show(req: Request, res: Response) {
      const article = await services.articles.get(articleIdOf(req));
      const canModify = await services.articles.canModify(signedInUser(req), article);
      res.render('articles/show', { title: article.title, article, paragraphs: toParagraphs(article.body), canModify });
    },

    showNew(_req: Request, res: Response) {
      res.render(ARTICLE_PAGES.new.view, { title: ARTICLE_PAGES.new.title, article: null });
    },

    async create(req: Request, res: Response) {
      const article = await services.articles.create(signedInUser(req), matchedData(req) as ArticleInput);
      res.flash('success', msg('articles.flash.published'));
      res.redirect(303, `/articles/${article.id}`);
    },

    /** Before the edit form and its POST: refuses other people's articles before any input is looked at. */
    async loadForEditing(req: Request, res: Response, next: () => void) {
      res.locals.article = await services.articles.getForEditing(signedInUser(req), articleIdOf(req));
      next();
    },

    showEdit(_req: Request, res: Response) {
      const { article } = res.locals;
      res.render(ARTICLE_PAGES.edit.view, { title: ARTICLE_PAGES.edit.title, values: { title: article.title, body: article.body } });
    },

    async update(req: Request, res: Response) {
      const article = await services.articles.update(signedInUser(req), articleIdOf(req), matchedData(req) as ArticleInput);
      res.flash('success', msg('articles.flash.saved'));
      res.redirect(303, `/articles/${article.id}`);
    },

    async remove(req: Request, res: Response) {
      await services.articles.remove(signedInUser(req), articleIdOf(req));
      res.flash('success', msg('articles.flash.deleted'));
      res.redirect(303, '/articles');
    },
  };
}
