import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { pagedJson } from '../../lib/pagination';
import type { AppContext } from '../../types/context';

export function createAdminApiController({ services }: AppContext) {
  return {
    async users(req: Request, res: Response) {
      const { q, page = 1 } = matchedData(req, { locations: ['query'] }) as { q?: string; page?: number };
      res.json(pagedJson('users', await services.admin.listUsers(q || undefined, page)));
    },
  };
}
