import { Router } from 'express';
import { ARTICLE_PAGES, createArticlesController } from '../controllers/articles.controller';
import { form } from '../middleware/form';
import { requireRole } from '../middleware/require-auth';
import { validate, validateQuery } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { articleForm, articleIdParam } from '../validators/article.validators';
import { pageQueries } from '../validators/page.validators';

/**
 * Readers read; authors write and change their own articles; admins change any. The router
 * gates every path under /articles (in any letter case); ownership is the service's rule.
 */
export function articlesRoutes(ctx: AppContext): Router {
  const articles = createArticlesController(ctx);
  const writer = requireRole('author');
  const router = Router();
  router.use(requireRole('reader'));
  router.get('/', validateQuery(...pageQueries('id')), articles.index);
  router.get('/new', writer, articles.showNew);
  router.post('/', writer, form(ARTICLE_PAGES.new), validate(...articleForm), articles.create);
  router.get('/:id', articleIdParam, articles.show);
  router.get('/:id/edit', writer, articleIdParam, articles.loadForEditing, articles.showEdit);
  router.post('/:id', writer, articleIdParam, articles.loadForEditing, form(ARTICLE_PAGES.edit), validate(...articleForm), articles.update);
  router.post('/:id/delete', writer, articleIdParam, articles.remove);
  return router;
}
