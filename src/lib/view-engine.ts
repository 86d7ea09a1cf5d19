import ejs from 'ejs';

type Done = (error: Error | null, html?: string) => void;

/**
 * EJS for the pages. Includes are named from views/ (`include('/partials/field', …)`): ejs joins
 * those to `root` directly, where a relative include costs a file-existence check on every render
 * (about a tenth of an authenticated page's CPU, measured with `npm run bench -- --cpu-prof`).
 * `compileDebug` adds line numbers to template errors and a little work to every render: on in
 * development and tests, off in production, where a template error is logged, never shown.
 */
export function createViewEngine(viewsDir: string, options: { cache: boolean; debug: boolean }) {
  const ejsOptions: ejs.Options = { root: viewsDir, cache: options.cache, compileDebug: options.debug };
  return function renderView(file: string, data: object, done: Done): void {
    ejs.renderFile(file, data as ejs.Data, ejsOptions, done as never);
  };
}
