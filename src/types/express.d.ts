import 'express';
import type { AuthUser } from '../middleware/authenticate';

declare global {
  namespace Express {
    interface Request {
      /** Set by `requestLogger`, the app's first middleware: sent back as X-Request-Id and logged. */
      id?: string;
      /** Set by `authenticate` when a valid token arrived by cookie or Bearer header. */
      user?: AuthUser;
      /** Why a presented token was not accepted, so the API can tell the client what to do. */
      authProblem?: 'token_expired' | 'token_invalid' | 'token_stale' | 'session_revoked';
    }
  }
}
