import type { NextFunction, Request, Response } from 'express';
import { body, ValidationChain } from 'express-validator';
import { NotFoundError } from '../errors/app-error';
import { msg } from '../lib/i18n';
import { FIELD_MESSAGES } from './fields';

const TITLE_MAX = 200;
/**
 * 8,000 characters: the longest body, even all in 4-byte characters, still fits a form post
 * under the 100 kB request limit (each such character is 12 bytes once form-encoded), so a
 * long article is never lost to a 413.
 */
const BODY_MAX = 8_000;
const MAX_ARTICLE_ID = 2_147_483_647; // the largest value of the INTEGER column on MySQL

export const ARTICLE_FIELD_MESSAGES = {
  titleRequired: msg('articles.validation.titleRequired'),
  titleLength: msg('articles.validation.titleLength', { max: TITLE_MAX }),
  titleCharacters: msg('articles.validation.titleCharacters'),
  bodyRequired: msg('articles.validation.bodyRequired'),
  bodyLength: msg('articles.validation.bodyLength', { max: BODY_MAX }),
  bodyCharacters: msg('articles.validation.bodyCharacters'),
} as const;

const ARTICLE_LABELS = { title: msg('articles.form.title'), body: msg('articles.form.body') } as const;

// Titles sit inside one line of a list: no control characters, no bidi overrides that would flip what follows.
const TITLE_FORBIDDEN = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
const BODY_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** Characters as the database counts them (code points), not UTF-16 units or validator's guess. */
const codePoints = (value: string) => [...value].length;

function text(field: keyof typeof ARTICLE_LABELS): ValidationChain {
  const label = ARTICLE_LABELS[field];
  return body(field)
    .exists({ values: 'undefined' }).withMessage(FIELD_MESSAGES.required(label)).bail()
    .custom((value) => typeof value === 'string').withMessage(FIELD_MESSAGES.notText(label)).bail();
}

export const articleForm = [
  text('title')
    .trim()
    .customSanitizer((value: string) => value.normalize('NFC'))
    .notEmpty().withMessage(ARTICLE_FIELD_MESSAGES.titleRequired).bail()
    .custom((value: string) => codePoints(value) <= TITLE_MAX).withMessage(ARTICLE_FIELD_MESSAGES.titleLength).bail()
    .not().matches(TITLE_FORBIDDEN).withMessage(ARTICLE_FIELD_MESSAGES.titleCharacters),
  text('body')
    .customSanitizer((value: string) => value.replace(/\r\n?/g, '\n').normalize('NFC').trim())
    .notEmpty().withMessage(ARTICLE_FIELD_MESSAGES.bodyRequired).bail()
    .custom((value: string) => codePoints(value) <= BODY_MAX).withMessage(ARTICLE_FIELD_MESSAGES.bodyLength).bail()
    .not().matches(BODY_FORBIDDEN).withMessage(ARTICLE_FIELD_MESSAGES.bodyCharacters),
];

/** `:id` of an article: a positive integer the column can hold. Anything else names nothing: 404. */
export function articleIdParam(req: Request, _res: Response, next: NextFunction): void {
  const value = req.params.id;
  if (typeof value !== 'string' || !/^[1-9]\d{0,9}$/.test(value) || Number(value) > MAX_ARTICLE_ID) throw new NotFoundError();
  next();
}

export function articleIdOf(req: Request): number {
  return Number(req.params.id);
}
