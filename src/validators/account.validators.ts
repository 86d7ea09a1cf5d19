import { body, query, ValidationChain } from 'express-validator';
import { LINK_TOKEN_SHAPE } from '../services/verification-tokens';
import { confirmationField, emailField, newPasswordField } from './fields';

/**
 * A link's token, from the query string or a form. Anything that is not one string of the
 * right shape becomes '' and is answered as an invalid link, never as a 422 that would say more.
 */
function linkToken(chain: ValidationChain): ValidationChain {
  return chain.customSanitizer((value: unknown) => (typeof value === 'string' && LINK_TOKEN_SHAPE.test(value) ? value : ''));
}

export const linkTokenQuery = [linkToken(query('token'))];

export const linkTokenBody = [linkToken(body('token'))];

/** Forgot password and resend verification: one address. */
export const addressForm = [emailField()];

export const resetForm = [
  linkToken(body('token')),
  // The username and email are checked again by the service, which knows whose link it is.
  newPasswordField('new_password', () => ({})),
  confirmationField('password_confirmation', 'new_password', true),
];

/** The API asks for the confirmation only if it is sent. */
export const resetApi = [
  linkToken(body('token')),
  newPasswordField('new_password', () => ({})),
  confirmationField('password_confirmation', 'new_password', false),
];
