import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { pagedJson, PageRequest } from '../../lib/pagination';
import type { AppContext } from '../../types/context';

export function createAdminApiController({ services }: AppContext) {
  return {
    async users(req: Request, res: Response) {
      const { q, page = 1, after, before } = matchedData(req, { locations: ['query'] }) as { q?: string } & Partial<PageRequest>;
      res.json(pagedJson('users', await services.admin.listUsers(q || undefined, { page, after, before })));
    },
  };
}
