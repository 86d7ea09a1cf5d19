import { body, query, ValidationChain } from 'express-validator';
import { Message, msg } from '../lib/i18n';
import { AUDIT_EVENTS } from '../services/audit.service';
import { pageQueries } from './page.validators';

const SEARCH_MAX = 254;

export const ADMIN_FIELD_MESSAGES = {
  search: msg('admin.field.search', { max: SEARCH_MAX }),
  user: msg('admin.field.user', { max: SEARCH_MAX }),
  event: msg('admin.field.event'),
  // The field's own name: only a hand-made post can send anything but a checkbox's value.
  checkbox: (field: string) => msg('admin.field.checkbox', { field }),
} as const;

const CHECKED = new Set(['1', 'on', 'true']);

function searchText(field: string, message: Message): ValidationChain {
  return query(field)
    .optional({ values: 'undefined' })
    .custom((value) => typeof value === 'string' && value.length <= SEARCH_MAX).withMessage(message).bail()
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
