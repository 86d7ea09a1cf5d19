import { query, ValidationChain } from 'express-validator';
import { msg } from '../lib/i18n';

export const MAX_PAGE = 1_000_000;

export const PAGE_FIELD_MESSAGES = {
  page: msg('validation.page.number', { max: MAX_PAGE }),
  cursor: msg('validation.page.cursor'),
  bothCursors: msg('validation.page.bothCursors'),
} as const;

/** What the cursors of a list are: row ids (articles, audit events) or public ids (users). */
export type CursorKind = 'id' | 'uuid';

const CURSOR_FORMS: Record<CursorKind, RegExp> = {
  id: /^[1-9]\d{0,15}$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
};

/** `?page=N`, optional; anything but one whole number in range is refused, never passed on as NaN. */
export function pageQuery(): ValidationChain {
  return query('page')
    .optional({ values: 'undefined' })
    .custom((value) => typeof value === 'string' && /^[1-9]\d{0,6}$/.test(value) && Number(value) <= MAX_PAGE)
    .withMessage(PAGE_FIELD_MESSAGES.page)
    .toInt();
}

function cursorQuery(field: 'after' | 'before', kind: CursorKind): ValidationChain {
  return query(field)
    .optional({ values: 'undefined' })
    .custom((value) => typeof value === 'string' && CURSOR_FORMS[kind].test(value)).withMessage(PAGE_FIELD_MESSAGES.cursor).bail()
    .custom((_value, { req }) => !(field === 'before' && req.query?.after !== undefined)).withMessage(PAGE_FIELD_MESSAGES.bothCursors);
}

/** A list's page parameters: `page`, and the `after` / `before` cursors its Previous and Next links carry. */
export function pageQueries(kind: CursorKind): ValidationChain[] {
  return [pageQuery(), cursorQuery('after', kind), cursorQuery('before', kind)];
}
