import type { NextFunction, Request, Response } from 'express';
import type { Message } from '../lib/i18n';

export interface FormPage {
  view: string;
  /** The page's title, usually a `{ key }` (lib/i18n.ts). */
  title: Message;
  /** Which form on the page failed, when a page holds several. */
  name?: string;
  /** Extra locals the view needs when it is re-rendered after an error. */
  load?: (req: Request) => Promise<Record<string, unknown>> | Record<string, unknown>;
}

/**
 * Names the page that holds this form. When the handler fails with a validation (422),
 * conflict (409) or credentials (401) error, the error handler re-renders that page with the
 * messages next to the fields and the values typed, never passwords.
 */
export function form(page: FormPage) {
  return function formPage(_req: Request, res: Response, next: NextFunction): void {
    res.locals.formPage = page;
    next();
  };
}

/** What the user typed, minus anything secret, for re-rendering a form. */
export function keptValues(body: unknown): Record<string, string> {
  const kept: Record<string, string> = {};
  if (!body || typeof body !== 'object') return kept;
  for (const [key, value] of Object.entries(body)) {
    if (typeof value !== 'string' || key === '_csrf' || key.includes('password')) continue;
    kept[key] = value.slice(0, 2048);
  }
  return kept;
}
