import type { Request, Response } from 'express';
import { msg } from '../lib/i18n';
import type { AppContext } from '../types/context';

export function createHomeController({ db, readiness }: AppContext) {
  return {
    show(_req: Request, res: Response) {
      res.render('home', { title: msg('home.title') });
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

    /**
     * 200 only when this process should get traffic: started (migrations applied, keys loaded),
     * not draining, and the database answering. A proxy stops routing here on a 503.
     */
    async ready(_req: Request, res: Response) {
      if (readiness.state !== 'ready') {
        res.status(503).json({ status: readiness.state });
        return;
      }
      try {
        await db.raw('select 1');
        res.json({ status: 'ready', database: 'ok' });
      } catch {
        res.status(503).json({ status: 'unavailable', database: 'unreachable' });
      }
    },
  };
}
