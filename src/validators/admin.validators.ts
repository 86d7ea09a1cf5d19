import { body, query, ValidationChain } from 'express-validator';
import { AUDIT_EVENTS } from '../services/audit.service';
import { pageQueries } from './page.validators';

export const ADMIN_FIELD_MESSAGES = {
  search: 'Search must be a single text value of at most 254 characters.',
  user: 'User must be a single text value of at most 254 characters.',
  event: 'Choose an event from the list.',
  checkbox: (field: string) => `${field} must be a checkbox value.`,
} as const;

const CHECKED = new Set(['1', 'on', 'true']);

function searchText(field: string, message: string): ValidationChain {
  return query(field)
    .optional({ values: 'undefined' })
    .custom((value) => typeof value === 'string' && value.length <= 254).withMessage(message).bail()
    .trim();
}

export const userListQuery = [searchText('q', ADMIN_FIELD_MESSAGES.search), ...pageQueries('uuid')];

export const auditQuery = [
  searchText('user', ADMIN_FIELD_MESSAGES.user),
  query('event')
    .optional({ values: 'undefined' })
    .custom((value) => value === '' || (AUDIT_EVENTS as readonly unknown[]).includes(value)).withMessage(ADMIN_FIELD_MESSAGES.event),
  ...pageQueries('id'),
];

/**
 * The user page's checkboxes. A browser sends only the ticked ones, so an absent box means
 * false and the form always states the whole account; a ticked one must be one plain value.
 */
function checkbox(field: string): ValidationChain {
  return body(field)
    .default('')
    .custom((value) => value === '' || (typeof value === 'string' && CHECKED.has(value))).withMessage(ADMIN_FIELD_MESSAGES.checkbox(field))
    .customSanitizer((value: string) => CHECKED.has(value));
}

export const accountForm = ['is_reader', 'is_author', 'is_admin', 'is_active'].map(checkbox);
