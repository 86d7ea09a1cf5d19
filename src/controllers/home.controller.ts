import type { Request, Response } from 'express';
import type { AppContext } from '../types/context';

export function createHomeController({ db }: AppContext) {
  return {
    show(_req: Request, res: Response) {
      res.render('home', { title: 'Home' });
    },

    /** 200 only when the process and the database both answer. */
    async health(_req: Request, res: Response) {
      try {
        await db.raw('select 1');
        res.json({ status: 'ok', database: 'ok' });
      } catch {
        res.status(503).json({ status: 'unavailable', database: 'unreachable' });
      }
    },
  };
}
