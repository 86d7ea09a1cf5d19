import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { pagedJson, PageRequest } from '../../lib/pagination';
import type { AppContext } from '../../types/context';
import { articleIdOf } from '../../validators/article.validators';

export function createArticlesApiController({ services }: AppContext) {
  return {
    async index(req: Request, res: Response) {
      const { page = 1, after, before } = matchedData(req, { locations: ['query'] }) as Partial<PageRequest>;
      res.json(pagedJson('articles', await services.articles.list({ page, after, before })));
    },

    async show(req: Request, res: Response) {
      res.json(await services.articles.get(articleIdOf(req)));
    },
  };
}
