#!/usr/bin/env node
/**
 * The translations' completeness check (docs/i18n.md), run by `npm run build`, `npm run typecheck`
 * and test/unit/locales.test.ts. English (locales/en.json) is the reference:
 *
 * - every other file has every key of en, no key en lacks, the same top-level sections, and in
 *   each string the same {{variables}};
 * - a plural (key_one, key_other…) has every form its language's plural rules name
 *   (Intl.PluralRules: Russian one/few/many/other, Chinese other only);
 * - no string is empty;
 * - every key of en is used: it appears as a quoted literal in src/ or views/ (a plural by its
 *   base name), or lies under a prefix declared where keys are built at run time with a comment
 *   `i18n-dynamic: errors.status.`;
 * - every key the code names in t('…'), msg('…') or `key: '…'` exists in en.
 *
 * Plain JavaScript: it runs where the build runs, without TypeScript.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const REFERENCE = 'en';
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;
const VARIABLE = /\{\{\s*([\w.]+)[^}]*\}\}/g;

function flatten(object, prefix = '', into = {}) {
  for (const [name, value] of Object.entries(object)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(value, key, into);
    else into[key] = value;
  }
  return into;
}

function variablesOf(text) {
  return [...new Set([...String(text).matchAll(VARIABLE)].map((match) => match[1]))].sort().join(',');
}

/** { plain: {key: text}, plurals: {base: {category: text}} } */
function entriesOf(flat) {
  const plain = {};
  const plurals = {};
  for (const [key, value] of Object.entries(flat)) {
    const suffix = PLURAL_SUFFIX.exec(key);
    if (suffix) (plurals[key.slice(0, suffix.index)] ??= {})[suffix[1]] = value;
    else plain[key] = value;
  }
  return { plain, plurals };
}

function sourceFiles(dir, extensions) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full, extensions);
    return extensions.some((extension) => entry.name.endsWith(extension)) ? [full] : [];
  });
}

function languagesIn(localesDir) {
  return fs.readdirSync(localesDir).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -5)).sort();
}

/** Every problem found, as one line each; an empty list means complete. */
function checkLocales(root = path.resolve(__dirname, '..')) {
  const localesDir = path.join(root, 'locales');
  const problems = [];
  const files = {};
  for (const language of languagesIn(localesDir)) {
    try {
      files[language] = JSON.parse(fs.readFileSync(path.join(localesDir, `${language}.json`), 'utf8'));
    } catch (error) {
      problems.push(`locales/${language}.json: not valid JSON (${error.message})`);
    }
  }
  const reference = files[REFERENCE];
  if (!reference) return [...problems, `locales/${REFERENCE}.json is missing: English is the reference`];
  const en = entriesOf(flatten(reference));

  for (const [language, content] of Object.entries(files)) {
    const where = `locales/${language}.json`;
    const flat = flatten(content);
    for (const [key, value] of Object.entries(flat)) {
      if (typeof value !== 'string') problems.push(`${where}: ${key} is not a string`);
      else if (value.trim() === '') problems.push(`${where}: ${key} is empty`);
    }
    if (language === REFERENCE) {
      for (const [base, forms] of Object.entries(en.plurals)) {
        for (const category of new Intl.PluralRules(language).resolvedOptions().pluralCategories) {
          if (!(category in forms)) problems.push(`${where}: ${base} lacks the plural form ${base}_${category}`);
        }
      }
      continue;
    }
    for (const section of Object.keys(reference)) {
      if (!(section in content)) problems.push(`${where}: the section "${section}" is missing`);
    }
    const own = entriesOf(flat);
    for (const [key, text] of Object.entries(en.plain)) {
      if (!(key in own.plain)) problems.push(`${where}: ${key} is missing`);
      else if (variablesOf(own.plain[key]) !== variablesOf(text)) {
        problems.push(`${where}: ${key} has the variables {${variablesOf(own.plain[key])}}, English has {${variablesOf(text)}}`);
      }
    }
    const categories = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
    for (const [base, forms] of Object.entries(en.plurals)) {
      const expected = variablesOf(Object.values(forms).join(' '));
      const mine = own.plurals[base] ?? {};
      for (const category of categories) {
        if (!(category in mine)) problems.push(`${where}: ${base}_${category} is missing (${language} needs the plural forms ${categories.join(', ')})`);
        else if (variablesOf(mine[category]) !== expected && variablesOf(`${mine[category]} {{count}}`) !== expected) {
          problems.push(`${where}: ${base}_${category} has the variables {${variablesOf(mine[category])}}, English has {${expected}}`);
        }
      }
    }
    for (const key of Object.keys(own.plain)) if (!(key in en.plain)) problems.push(`${where}: ${key} is not in English (a stale key?)`);
    for (const base of Object.keys(own.plurals)) if (!(base in en.plurals)) problems.push(`${where}: the plural ${base} is not in English (a stale key?)`);
  }

  const sources = [...sourceFiles(path.join(root, 'src'), ['.ts']), ...sourceFiles(path.join(root, 'views'), ['.ejs'])]
    .map((file) => fs.readFileSync(file, 'utf8'));
  const text = sources.join('\n');
  const dynamicPrefixes = [...text.matchAll(/i18n-dynamic:\s*([\w.-]+)/g)].map((match) => match[1]);
  const used = new Set([...text.matchAll(/['"`]([A-Za-z][\w-]*(?:\.[\w-]+)+)['"`]/g)].map((match) => match[1]));
  const isUsed = (key) => used.has(key) || dynamicPrefixes.some((prefix) => key.startsWith(prefix));
  for (const key of Object.keys(en.plain)) if (!isUsed(key)) problems.push(`locales/en.json: ${key} is not used in src/ or views/ (remove it, or declare its prefix with "i18n-dynamic:")`);
  for (const base of Object.keys(en.plurals)) if (!isUsed(base)) problems.push(`locales/en.json: the plural ${base} is not used in src/ or views/`);

  const named = /(?:\bt|\bmsg)\(\s*['"`]([A-Za-z][\w-]*(?:\.[\w-]+)+)['"`]|\bkey:\s*['"`]([A-Za-z][\w-]*(?:\.[\w-]+)+)['"`]/g;
  for (const match of text.matchAll(named)) {
    const key = match[1] ?? match[2];
    if (!(key in en.plain) && !(key in en.plurals)) problems.push(`src/ or views/ names the key ${key}, which locales/en.json lacks`);
  }
  return [...new Set(problems)];
}

module.exports = { checkLocales, flatten, entriesOf };

if (require.main === module) {
  const problems = checkLocales();
  if (problems.length > 0) {
    process.stderr.write(`The translations are incomplete (docs/i18n.md):\n${problems.map((line) => `  - ${line}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write('Translations complete.\n');
}
