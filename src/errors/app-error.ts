/**
 * The one error family. Services throw these; the error handler turns them into a page or the
 * JSON envelope `{"error": {"code", "message", "fields"?}}`. Anything else becomes a 500.
 */
export type FieldErrors = Record<string, string>;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldErrors,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(message = 'The request could not be understood.', code = 'bad_request') {
    super(400, code, message);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'You need to sign in.', code = 'unauthorized') {
    super(401, code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to perform this operation', code = 'forbidden') {
    super(403, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'The page you asked for does not exist.', code = 'not_found') {
    super(404, code, message);
  }
}

export class ConflictError extends AppError {
  constructor(fields: FieldErrors, message = 'That is already taken.') {
    super(409, 'conflict', message, fields);
  }
}

export class ValidationError extends AppError {
  constructor(fields: FieldErrors, message = 'Please correct the highlighted fields.') {
    super(422, 'validation_failed', message, fields);
  }
}

export class TooManyRequestsError extends AppError {
  /** `limiter` names the limit that refused, for the metrics only: the client is never told which. */
  constructor(readonly retryAfterSeconds: number, message = 'Too many attempts. Please wait and try again.', readonly limiter = 'other') {
    super(429, 'too_many_requests', message);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message = 'The service is temporarily unavailable. Please try again in a moment.') {
    super(503, 'service_unavailable', message);
  }
}
