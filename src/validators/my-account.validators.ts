import { query } from 'express-validator';
import { msg } from '../lib/i18n';
import { ACTIVITY_KIND_NAMES } from '../services/activity.service';
import { LABELS, passwordField } from './fields';
import { optionalSecondFactor } from './mfa.validators';
import { pageQueries } from './page.validators';

export const MY_ACCOUNT_FIELD_MESSAGES = {
  kind: msg('account.errors.kind', { kinds: ACTIVITY_KIND_NAMES.join(', ') }),
} as const;

/** `?kind=` (one of the activity kinds, or empty for all) and the page parameters. */
export const activityQuery = [
  query('kind')
    .optional({ values: 'undefined' })
    .custom((value) => value === '' || (ACTIVITY_KIND_NAMES as readonly unknown[]).includes(value)).withMessage(MY_ACCOUNT_FIELD_MESSAGES.kind),
  ...pageQueries('id'),
];

export const exportForm = [passwordField('current_password', LABELS.currentPassword)];

/** The page and DELETE /api/me alike: the password, and a code when the account has a second factor. */
export const deleteAccountForm = [passwordField('current_password', LABELS.currentPassword), ...optionalSecondFactor];
