import 'express';
import type { Language } from '../lib/i18n';
import type { AuthUser } from '../middleware/authenticate';
import type { PendingLogin } from '../services/mfa-login.service';

declare global {
  namespace Express {
    interface Request {
      /** Set by `requestLogger`, the app's first middleware: sent back as X-Request-Id and logged. */
      id?: string;
      /** Set by `authenticate` when a valid token arrived by cookie or Bearer header. */
      user?: AuthUser;
      /** Why a presented token was not accepted, so the API can tell the client what to do. */
      authProblem?: 'token_expired' | 'token_invalid' | 'token_stale' | 'session_revoked';
      /** The login waiting for its second step, read from the browser's cookie or the API's mfa_token; null when there is none. */
      pendingLogin?: PendingLogin | null;
      /** The response's language, set by `negotiateLanguage` (docs/i18n.md). */
      language?: Language;
      /** Whether the request is answered as the API is (lib/auth-cookies.ts isApiRequest), worked out once. */
      apiRequest?: boolean;
      /** The login throttles' account key when it cannot be read from the body (the second step). */
      loginThrottleKey?: string;
    }
  }
}
