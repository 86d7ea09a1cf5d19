import { Router } from 'express';
import { createDevMailController } from '../controllers/dev-mail.controller';
import type { AppContext } from '../types/context';

/** The development outbox. routes/index.ts mounts it only when NODE_ENV is not production. */
export function devMailRoutes(ctx: AppContext): Router {
  const outbox = createDevMailController(ctx);
  const router = Router();
  router.use(outbox.onlyFromThisMachine);
  router.get('/', outbox.index);
  router.get('/:id', outbox.show);
  router.get('/:id/html', outbox.html);
  return router;
}
