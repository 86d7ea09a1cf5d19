import type { NextFunction, Request, Response } from 'express';
import { ValidationChain, validationResult } from 'express-validator';
import { FieldMessages, ValidationError } from '../errors/app-error';
import { isMessageRef } from '../lib/i18n';

/** The first message for each field that failed, or undefined when all passed. */
function fieldErrorsOf(req: Request): FieldMessages | undefined {
  const result = validationResult(req);
  if (result.isEmpty()) return undefined;
  const fields: FieldMessages = {};
  for (const error of result.array()) {
    // A message is a key to translate (`withMessage(msg('validation.…'))`, or thrown by a custom rule) or plain text.
    if (error.type === 'field' && !(error.path in fields)) fields[error.path] = isMessageRef(error.msg) ? error.msg : String(error.msg);
  }
  return fields;
}

/**
 * Runs express-validator chains and turns failures into one ValidationError (422) with the
 * first message for each field. Handlers then read only `matchedData(req)`: fields nobody
 * validated (`is_admin`, `__proto__`…) never reach a service.
 */
export function validate(...chains: ValidationChain[]) {
  return [
    // A JSON array has no fields: refused, rather than read as "nothing to change".
    function rejectArrayBody(req: Request, _res: Response, next: NextFunction) {
      if (Array.isArray(req.body)) throw new ValidationError({}, { key: 'validation.bodyNotObject' });
      next();
    },
    ...chains,
    function rejectInvalid(req: Request, _res: Response, next: NextFunction) {
      const fields = fieldErrorsOf(req);
      if (fields) throw new ValidationError(fields);
      next();
    },
  ];
}

/**
 * Like validate(), for the query strings of list pages: the refusal names the problem in its
 * message, because a page of results has no form to show messages at.
 */
export function validateQuery(...chains: ValidationChain[]) {
  return [
    ...chains,
    function rejectInvalidQuery(req: Request, _res: Response, next: NextFunction) {
      const fields = fieldErrorsOf(req);
      // A list of whole sentences, each translated when shown: the messages are keys, not text to join.
      if (fields) throw new ValidationError(fields, Object.values(fields));
      next();
    },
  ];
}
