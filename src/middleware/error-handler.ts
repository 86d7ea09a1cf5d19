import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/availability';
import { AppError, BadRequestError, ForbiddenError, ServiceUnavailableError, TooManyRequestsError } from '../errors/app-error';
import { isApiRequest } from '../lib/auth-cookies';
import { createMetrics, Metrics, RATE_LIMITERS, RateLimiterName } from '../lib/metrics';
import { FormPage, keptValues } from './form';
import { applyLanguage, languageOf } from './language';
import { isMessageRef, localize, msg, Translate, translator } from '../lib/i18n';

/** Statuses with a title of their own on the error page; any other gets "Error". */
const TITLED_STATUSES = new Set([400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503]);

// i18n-dynamic: errors.title.
function pageTitle(status: number, t: Translate): string {
  return TITLED_STATUSES.has(status) ? t(`errors.title.${status}`) : t('errors.title.default');
}

/** The plain "no permission" 403, which gets advice about roles; a refused CSRF token or a self-reset already says what to do. */
function isPlainForbidden(error: AppError): boolean {
  return error.status === 403 && isMessageRef(error.messageRef) && error.messageRef.key === 'errors.message.forbidden';
}

/** Body-parser and router errors carry a `type` and a 4xx `status`; give each a clear message. */
function fromHttpError(error: { status: number; type?: string }): AppError {
  switch (error.type) {
    case 'entity.too.large':
    case 'parameters.too.many':
      return new AppError(413, 'payload_too_large', msg('errors.message.payloadTooLarge'));
    case 'entity.parse.failed':
      return new AppError(400, 'malformed_json', msg('errors.message.malformedJson'));
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_encoding', msg('errors.message.unsupportedEncoding'));
    default:
      return new BadRequestError();
  }
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const candidate = error as { code?: unknown; status?: unknown; type?: unknown } | null;
  if (candidate?.code === 'EBADCSRFTOKEN') return new ForbiddenError(msg('errors.message.csrf'), 'csrf_invalid');
  if (isDatabaseUnavailable(error)) return new ServiceUnavailableError();
  if (typeof candidate?.status === 'number' && candidate.status >= 400 && candidate.status < 500) {
    return fromHttpError(candidate as { status: number; type?: string });
  }
  return new AppError(500, 'internal_error', msg('errors.message.internal'));
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
      if (!res.headersSent) res.type('text/plain').send(t('errors.page.plainFallback', { message, requestId: req.id }));
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
    title: pageTitle(appError.status, t),
    status: appError.status,
    plainForbidden: isPlainForbidden(appError),
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
