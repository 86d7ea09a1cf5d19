import fs from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import { DEFAULT_LANGUAGE, escapeHtml, isLanguage, ViewI18n, viewI18n } from './i18n';

type Done = (error: Error | null, html?: string) => void;
type Locals = Record<string, unknown>;
type Template = (locals: Locals) => string;

/** `<%= value %>`: as ejs's escapeXML (null and undefined print nothing), without its replace on text that needs none. */
export function escapeForView(value: unknown): string {
  return value === undefined || value === null ? '' : escapeHtml(String(value));
}

/**
 * EJS for the pages, with a layout and partials.
 *
 * - A page is only its own content: `views/layout.ejs` wraps it (document head, navigation,
 *   flash message, footer) and prints it where it says `<%- body %>`. The layout sees every
 *   local the page sees.
 * - A partial is called like a function and sees only what it is given, plus the page's
 *   language helpers (`t`, `tm`, `lang`, `fmt`: lib/i18n.ts), which every piece of text needs:
 *   `<%- partial('partials/field', { name: 'email', label: t('nav.profile'), errors, values }) %>`.
 *   ejs's own `include` copies every local of the page, twice, for each call: on the profile page
 *   those copies cost more than the page itself (`npm run bench -- --cpu-prof`).
 * - Templates are compiled once when views are cached (production), read from disk on every
 *   render otherwise. `compileDebug` (line numbers in template errors) is on in development
 *   and tests, off in production, where a template error is logged, never shown.
 *
 * The mail templates are not pages: mail.service.ts renders them with ejs directly.
 */
export function createViewEngine(viewsDir: string, options: { cache: boolean; debug: boolean }) {
  const compiled = new Map<string, Template>();
  const layoutFile = path.join(viewsDir, 'layout.ejs');

  function template(filename: string): Template {
    const known = compiled.get(filename);
    if (known) return known;
    const fn = ejs.compile(fs.readFileSync(filename, 'utf8'), {
      filename,
      compileDebug: options.debug,
      async: false,
      // Each view starts by taking what it reads from `locals` (`const { user, errors } = locals;`):
      // names looked up through `with (locals)` made templates several times slower.
      _with: false,
      // The locals are objects this engine builds (never a request's body or query), so ejs
      // need not copy them into a fresh prototype-less object on every call.
      unsafePrototypeLocals: true,
      escape: escapeForView,
    } as ejs.Options) as Template;
    if (options.cache) compiled.set(filename, fn);
    return fn;
  }

  const partialFiles = new Map<string, string>();

  function partialFile(name: string): string {
    let filename = partialFiles.get(name);
    if (filename === undefined) {
      filename = path.join(viewsDir, `${name}.ejs`);
      partialFiles.set(name, filename);
    }
    return filename;
  }

  type Partial = (name: string, args?: Locals) => string;
  const partialsByLanguage = new Map<ViewI18n, Partial>();

  /** views/<name>.ejs rendered with `args`, the language helpers and nothing else (besides `partial`, for nesting). */
  function partialIn(i18n: ViewI18n): Partial {
    let known = partialsByLanguage.get(i18n);
    if (!known) {
      const { lang, t, th, tm, fmt, languages } = i18n;
      const bound: Partial = (name, args = {}) => template(partialFile(name))({ partial: bound, lang, t, th, tm, fmt, languages, ...args });
      known = bound;
      partialsByLanguage.set(i18n, known);
    }
    return known;
  }

  const partial = partialIn(viewI18n(DEFAULT_LANGUAGE));

  return {
    /** Express's view engine: `res.render('me/profile', locals)` renders the page, then the layout around it. */
    render(file: string, data: object, done: Done): void {
      let html: string;
      try {
        const locals = data as Locals;
        // The page's language (res.locals, from negotiateLanguage), English for a render outside a request.
        const i18n = viewI18n(isLanguage(locals.lang) ? locals.lang : DEFAULT_LANGUAGE);
        Object.assign(locals, i18n, { partial: partialIn(i18n) });
        // `data` is Express's own merge of the app's, the response's and the call's locals, made
        // for this render: the layout gets it with the page's HTML added, rather than a copy.
        locals.body = template(file)(locals);
        html = template(layoutFile)(locals);
      } catch (error) {
        done(error as Error);
        return;
      }
      done(null, html);
    },
    /** Helpers every view can call (app.locals). */
    helpers: { partial },
  };
}
