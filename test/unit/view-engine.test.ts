import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from '@babel/parser';
import traverse from '@babel/traverse';
import ejs from 'ejs';
import { createViewEngine, escapeForView } from '../../src/lib/view-engine';

const VIEWS = path.join(__dirname, '..', '..', 'views');
// What a compiled template may name without declaring it: JavaScript's globals, the compiled
// function's parameters and the output buffer ejs declares around the generated source.
const PROVIDED = new Set([...Object.getOwnPropertyNames(globalThis), 'locals', 'escapeFn', 'include', 'rethrow', '__output', '__append']);

/** Names a template reads that it neither declares nor gets from JavaScript: each would be a ReferenceError when reached. */
function undeclaredNames(text: string, filename: string): string[] {
  const template = new ejs.Template(text, { _with: false, compileDebug: false, filename } as ejs.Options) as unknown as { generateSource(): void; source: string };
  template.generateSource();
  const ast = parse(`(function (locals, escapeFn, include, rethrow) {${template.source}})`);
  let globals: string[] = [];
  traverse(ast, { Program(program) { globals = Object.keys((program.scope as unknown as { globals: object }).globals); } });
  return globals.filter((name) => !PROVIDED.has(name)).sort();
}

function pageViews(dir = VIEWS): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'mail' ? [] : pageViews(full);
    return entry.name.endsWith('.ejs') ? [path.relative(VIEWS, full)] : [];
  });
}

function render(engine: ReturnType<typeof createViewEngine>, file: string, locals: object): Promise<string> {
  return new Promise((resolve, reject) => {
    engine.render(file, { ...engine.helpers, ...locals }, (error, html) => (error ? reject(error) : resolve(html ?? '')));
  });
}

describe('views', () => {
  it('finds a name a template reads without taking it from locals', () => {
    expect(undeclaredNames('<% const { title } = locals; %><h1><%= title %> <%= user.name %></h1>', 'check.ejs')).toEqual(['user']);
  });

  it.each(pageViews())('%s takes every name it reads from locals', (view) => {
    expect(undeclaredNames(fs.readFileSync(path.join(VIEWS, view), 'utf8'), view)).toEqual([]);
  });
});

describe('escapeForView', () => {
  it('escapes exactly as ejs does', () => {
    const inputs: unknown[] = [
      undefined, null, '', 0, 42, false, 'plain text', 'Показать: Пароль', '<script>alert("x")</script>', "O'Brien & Co",
      '&amp; already', '"quoted"', '>', new Date(0), { toString: () => '<b>' }, ['a<', 'b&'],
    ];
    for (const input of inputs) expect(escapeForView(input)).toBe(ejs.escapeXML(input as string));
  });
});

describe('createViewEngine', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-views-'));
    fs.writeFileSync(path.join(dir, 'layout.ejs'), '<% const { body } = locals; -%><main><%- body %></main><footer><%= locals.title %></footer>');
    fs.writeFileSync(path.join(dir, 'page.ejs'), '<% const { name, partial } = locals; -%><h1><%= name %></h1><%- partial(\'badge\', { label: name }) %>');
    fs.writeFileSync(path.join(dir, 'badge.ejs'), '<% const { label } = locals; -%><b><%= label %></b><i><%= locals.title ?? \'none\' %></i>');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('renders a page inside the layout, which sees the page\'s locals; a partial sees only what it is given', async () => {
    const engine = createViewEngine(dir, { cache: true, debug: false });
    const html = await render(engine, path.join(dir, 'page.ejs'), { name: '<Ann>', title: 'Hello' });
    expect(html).toBe('<main><h1>&lt;Ann&gt;</h1><b>&lt;Ann&gt;</b><i>none</i></main><footer>Hello</footer>');
  });

  it('passes a template error to Express instead of throwing', async () => {
    fs.writeFileSync(path.join(dir, 'broken.ejs'), '<%= missing.name %>');
    const engine = createViewEngine(dir, { cache: true, debug: true });
    await expect(render(engine, path.join(dir, 'broken.ejs'), {})).rejects.toThrow(/missing is not defined/);
  });

  it('compiles once when views are cached, and re-reads every time when they are not', async () => {
    const cached = createViewEngine(dir, { cache: true, debug: false });
    const fresh = createViewEngine(dir, { cache: false, debug: false });
    const page = path.join(dir, 'page.ejs');
    await render(cached, page, { name: 'Ann' });
    fs.writeFileSync(page, '<% const { name } = locals; -%><h2><%= name %></h2>');
    expect(await render(cached, page, { name: 'Ann' })).toContain('<h1>Ann</h1>');
    expect(await render(fresh, page, { name: 'Ann' })).toContain('<h2>Ann</h2>');
  });
});
