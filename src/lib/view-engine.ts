import fs from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';

type Done = (error: Error | null, html?: string) => void;

/**
 * EJS for the pages. Includes are named from views/ (`include('/partials/head')`): ejs joins
 * those to `root` directly, where a relative include costs a file-existence check on every render
 * (about a tenth of an authenticated page's CPU, measured with `npm run bench -- --cpu-prof`).
 * `compileDebug` adds line numbers to template errors and a little work to every render: on in
 * development and tests, off in production, where a template error is logged, never shown.
 *
 * The form field, drawn up to seven times on a page, is a component rather than an include:
 * `<%- formField({ name, label, …, errors, values }) %>`. It sees only what it is given, where an
 * include copies every page local and ejs's options for each call (a third of the profile
 * page's render time).
 */
export function createViewEngine(viewsDir: string, options: { cache: boolean; debug: boolean }) {
  const ejsOptions: ejs.Options = { root: viewsDir, cache: options.cache, compileDebug: options.debug };

  /** views/<name>.ejs as a function of its arguments; compiled once when views are cached. */
  function component(name: string): (args: Record<string, unknown>) => string {
    const filename = path.join(viewsDir, `${name}.ejs`);
    let compiled: ejs.TemplateFunction | undefined;
    return (args) => {
      const template = compiled ?? ejs.compile(fs.readFileSync(filename, 'utf8'), { ...ejsOptions, filename, async: false }) as ejs.TemplateFunction;
      if (options.cache) compiled = template;
      return template(args);
    };
  }

  return {
    render(file: string, data: object, done: Done): void {
      ejs.renderFile(file, data as ejs.Data, ejsOptions, done as never);
    },
    /** Helpers every view can call (app.locals). */
    helpers: { formField: component('partials/field') },
  };
}
