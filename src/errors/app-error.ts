import { english, localize, Message, Translate } from '../lib/i18n';

/**
 * The one error family. Services throw these; the error handler turns them into a page or the
 * JSON envelope `{"error": {"code", "message", "fields"?}}`. Anything else becomes a 500.
 *
 * Messages are Messages (lib/i18n.ts): a `{ key, vars }` is translated into the reader's
 * language when the error is rendered (`translated(t)`); `message` and `fields` hold the English
 * text, for logs, commands and code. `code` is the same in every language.
 */
export type FieldMessages = Record<string, Message>;
export type FieldErrors = Record<string, string>;

function localizeFields(fields: FieldMessages, t: Translate): FieldErrors {
  return Object.fromEntries(Object.entries(fields).map(([name, message]) => [name, localize(message, t)]));
}

export class AppError extends Error {
  /** English, as the reference reads. */
  readonly fields?: FieldErrors;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly messageRef: Message,
    readonly fieldRefs?: FieldMessages,
  ) {
    super(localize(messageRef, english));
    this.name = new.target.name;
    if (fieldRefs) this.fields = localizeFields(fieldRefs, english);
  }

  /** The message and field messages in the reader's language. */
  translated(t: Translate): { message: string; fields?: FieldErrors } {
    const message = localize(this.messageRef, t);
    return this.fieldRefs ? { message, fields: localizeFields(this.fieldRefs, t) } : { message };
  }
}

export class BadRequestError extends AppError {
  constructor(message: Message = 'The request could not be understood.', code = 'bad_request') {
    super(400, code, message);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message: Message = 'You need to sign in.', code = 'unauthorized') {
    super(401, code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: Message = 'You do not have permission to perform this operation', code = 'forbidden') {
    super(403, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message: Message = 'The page you asked for does not exist.', code = 'not_found') {
    super(404, code, message);
  }
}

export class ConflictError extends AppError {
  constructor(fields: FieldMessages, message: Message = 'That is already taken.') {
    super(409, 'conflict', message, fields);
  }
}

export class ValidationError extends AppError {
  constructor(fields: FieldMessages, message: Message = { key: 'validation.summary' }) {
    super(422, 'validation_failed', message, fields);
  }
}

export class TooManyRequestsError extends AppError {
  /** `limiter` names the limit that refused, for the metrics only: the client is never told which. */
  constructor(readonly retryAfterSeconds: number, message: Message = 'Too many attempts. Please wait and try again.', readonly limiter = 'other') {
    super(429, 'too_many_requests', message);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: Message = 'The service is temporarily unavailable. Please try again in a moment.') {
    super(503, 'service_unavailable', message);
  }
}
