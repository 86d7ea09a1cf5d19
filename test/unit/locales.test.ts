import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Plain JavaScript, shared with npm run build (scripts/build.js) and npm run typecheck.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkLocales } = require('../../scripts/check-locales') as { checkLocales(root?: string): string[] };

const ROOT = path.join(__dirname, '..', '..');

describe('the translations', () => {
  it('are complete: every English key in every language, same variables, every plural form, no unused or unknown key', () => {
    expect(checkLocales(ROOT)).toEqual([]);
  });
});

/** A scratch project: locales/ and src/ written by the test, so each rule is seen to fail. */
function scratch(locales: Record<string, unknown>, source: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-locales-'));
  fs.mkdirSync(path.join(dir, 'locales'));
  fs.mkdirSync(path.join(dir, 'src'));
  for (const [language, content] of Object.entries(locales)) fs.writeFileSync(path.join(dir, 'locales', `${language}.json`), JSON.stringify(content));
  fs.writeFileSync(path.join(dir, 'src', 'page.ts'), source);
  return dir;
}

describe('checkLocales', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
  const check = (locales: Record<string, unknown>, source = "t('a.hello'); t('a.users', { count });") => {
    const dir = scratch(locales, source);
    dirs.push(dir);
    return checkLocales(dir);
  };
  const en = { a: { hello: 'Hello {{name}}', users_one: 'One user', users_other: '{{count}} users' } };
  const ru = { a: { hello: 'Привет, {{name}}', users_one: '{{count}} пользователь', users_few: '{{count}} пользователя', users_many: '{{count}} пользователей', users_other: '{{count}} пользователя' } };

  it('passes a complete set', () => {
    expect(check({ en, ru })).toEqual([]);
  });

  it('names a missing key', () => {
    expect(check({ en, ru: { a: { ...ru.a, hello: undefined } } })).toContain('locales/ru.json: a.hello is missing');
  });

  it('names a plural form the language needs (Russian has one, few, many and other)', () => {
    const { users_few: _few, ...withoutFew } = ru.a;
    expect(check({ en, ru: { a: withoutFew } })).toEqual([expect.stringContaining('a.users_few is missing')]);
  });

  it('names a variable that differs from English', () => {
    expect(check({ en, ru: { a: { ...ru.a, hello: 'Привет, {{user}}' } } })).toEqual([expect.stringContaining('a.hello has the variables {user}, English has {name}')]);
  });

  it('names a key nobody uses, a key the code names that English lacks, an empty string and a stale key', () => {
    const problems = check({ en: { a: { ...en.a, unused: 'x' } }, ru: { a: { ...ru.a, unused: ' ', stale: 'y' } } }, "t('a.hello'); t('a.users'); msg('a.nowhere');");
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringContaining('en.json: a.unused is not used'),
      expect.stringContaining('names the key a.nowhere'),
      'locales/ru.json: a.unused is empty',
      expect.stringContaining('ru.json: a.stale is not in English'),
    ]));
  });

  it('counts a key under a declared dynamic prefix as used', () => {
    expect(check({ en: { a: { ...en.a, status: { 404: 'Not found' } } }, ru: { a: { ...ru.a, status: { 404: 'Не найдено' } } } }, "t('a.hello'); t('a.users'); // i18n-dynamic: a.status.\nt(`a.status.${code}`);")).toEqual([]);
  });
});
