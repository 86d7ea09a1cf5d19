import { Router } from 'express';
import { createLanguageController } from '../controllers/language.controller';
import { validate } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { languageSwitch } from '../validators/language.validators';

export function languageRoutes(ctx: AppContext): Router {
  const language = createLanguageController(ctx);
  const router = Router();
  router.post('/', validate(...languageSwitch), language.switch);
  return router;
}
