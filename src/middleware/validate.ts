import type { NextFunction, Request, Response } from 'express';
import { ValidationChain, validationResult } from 'express-validator';
import { FieldErrors, ValidationError } from '../errors/app-error';

/**
 * Runs express-validator chains and turns failures into one ValidationError (422) with the
 * first message for each field. Handlers then read only `matchedData(req)`: fields nobody
 * validated (`is_admin`, `__proto__`…) never reach a service.
 */
export function validate(...chains: ValidationChain[]) {
  return [
    // A JSON array has no fields: refused, rather than read as "nothing to change".
    function rejectArrayBody(req: Request, _res: Response, next: NextFunction) {
      if (Array.isArray(req.body)) throw new ValidationError({}, 'The request body must be a JSON object.');
      next();
    },
    ...chains,
    function rejectInvalid(req: Request, _res: Response, next: NextFunction) {
      const result = validationResult(req);
      if (result.isEmpty()) return next();
      const fields: FieldErrors = {};
      for (const error of result.array()) {
        if (error.type === 'field' && !(error.path in fields)) fields[error.path] = String(error.msg);
      }
      throw new ValidationError(fields);
    },
  ];
}
