import { Router } from 'express';
import { AUTH_PAGES, createAuthController } from '../controllers/auth.controller';
import { form } from '../middleware/form';
import { redirectIfSignedIn } from '../middleware/require-auth';
import { validate } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { loginForm, registerForm } from '../validators/auth.validators';

export function authRoutes(ctx: AppContext): Router {
  const auth = createAuthController(ctx);
  const limits = ctx.rateLimits;
  const router = Router();
  router.get('/register', redirectIfSignedIn, auth.showRegister);
  router.post('/register', redirectIfSignedIn, limits.register, form(AUTH_PAGES.register), validate(...registerForm), auth.register);
  router.get('/login', redirectIfSignedIn, auth.showLogin);
  router.post('/login', redirectIfSignedIn, limits.login, form(AUTH_PAGES.login), validate(...loginForm), auth.login);
  router.get('/logout', auth.showLogout);
  router.post('/logout', auth.logout);
  return router;
}
