import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/availability';
import { AppError, BadRequestError, ForbiddenError, ServiceUnavailableError, TooManyRequestsError } from '../errors/app-error';
import { isApiRequest } from '../lib/auth-cookies';
import { createMetrics, Metrics, RATE_LIMITERS, RateLimiterName } from '../lib/metrics';
import { FormPage, keptValues } from './form';
import { applyLanguage, languageOf } from './language';
import { localize, Translate, translator } from '../lib/i18n';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Sign in required',
  403: 'Permission denied',
  404: 'Page not found',
  409: 'Already taken',
  413: 'Too large',
  415: 'Unsupported content',
  422: 'Please check the form',
  429: 'Too many attempts',
  500: 'Something went wrong',
  503: 'Temporarily unavailable',
};

const CSRF_MESSAGE = 'This form has expired or did not come from this site. Go back, reload the page and try again.';

/** Body-parser and router errors carry a `type` and a 4xx `status`; give each a clear message. */
function fromHttpError(error: { status: number; type?: string }): AppError {
  switch (error.type) {
    case 'entity.too.large':
    case 'parameters.too.many':
      return new AppError(413, 'payload_too_large', 'The request body is too large (the limit is 100 kB).');
    case 'entity.parse.failed':
      return new AppError(400, 'malformed_json', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_encoding', 'The request body uses an encoding this server does not accept.');
    default:
      return new BadRequestError();
  }
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const candidate = error as { code?: unknown; status?: unknown; type?: unknown } | null;
  if (candidate?.code === 'EBADCSRFTOKEN') return new ForbiddenError(CSRF_MESSAGE, 'csrf_invalid');
  if (isDatabaseUnavailable(error)) return new ServiceUnavailableError();
  if (typeof candidate?.status === 'number' && candidate.status >= 400 && candidate.status < 500) {
    return fromHttpError(candidate as { status: number; type?: string });
  }
  return new AppError(500, 'internal_error', 'Something went wrong on our side.');
}

/**
 * The one error handler. Pages get a page in the layout (or their form back with messages);
 * the API gets `{"error": {"code", "message", "fields"?}}`. A 5xx is logged with the request
 * id; its body never holds a stack trace, SQL or any internal detail, whatever NODE_ENV says.
 */
export function createErrorHandler(logger: Logger, metrics: Metrics = createMetrics()) {
  // Every 429 passes here, whichever limit refused it: counted once, in one place.
  const refusals = metrics.counter('gatehouse_rate_limit_refusals_total', 'Requests refused with 429, by limiter', { limiter: RATE_LIMITERS });
  return function errorHandler(error: unknown, req: Request, res: Response, _next: NextFunction): void {
    const appError = toAppError(error);
    if (appError instanceof TooManyRequestsError) refusals.inc({ limiter: appError.limiter as RateLimiterName });
    if (appError.status >= 500) {
      logger.error({ err: error, requestId: req.id }, appError.status === 503 ? 'database unavailable' : 'unhandled error');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (appError instanceof TooManyRequestsError) res.set('Retry-After', String(appError.retryAfterSeconds));
    res.status(appError.status);
    // An error raised before negotiateLanguage (a body too large, a refused origin) still speaks the reader's language.
    if (!req.language) applyLanguage(req, res, languageOf(req));
    const t = translator(languageOf(req));
    const { message, fields } = appError.translated(t);

    if (isApiRequest(req)) {
      const body: Record<string, unknown> = { code: appError.code, message };
      if (fields) body.fields = fields;
      res.json({ error: body });
      return;
    }
    renderPage(appError, { message, fields }, t, req, res).catch((renderError) => {
      logger.error({ err: renderError, requestId: req.id }, 'error page failed to render');
      if (!res.headersSent) res.type('text/plain').send(`${message} (request id ${req.id})`);
    });
  };
}

async function renderPage(appError: AppError, text: ReturnType<AppError['translated']>, t: Translate, req: Request, res: Response): Promise<void> {
  const page = res.locals.formPage as FormPage | undefined;
  if (page && [401, 409, 422].includes(appError.status) && res.locals.csrfToken) {
    const extra = page.load ? await page.load(req) : {};
    return renderView(res, page.view, {
      ...extra,
      title: localize(page.title, t),
      activeForm: page.name,
      values: keptValues(req.body),
      errors: text.fields ?? {},
      formError: text.message,
    });
  }
  return renderView(res, 'errors/error', {
    title: TITLES[appError.status] ?? 'Error',
    status: appError.status,
    message: text.message,
    requestId: req.id,
    retryAfterSeconds: appError instanceof TooManyRequestsError ? appError.retryAfterSeconds : null,
  });
}

/** res.render without a callback hands template errors to Express's own handler: never here. */
function renderView(res: Response, view: string, locals: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    res.render(view, locals, (error: Error | null, html?: string) => {
      if (error) return reject(error);
      res.send(html);
      resolve();
    });
  });
}
