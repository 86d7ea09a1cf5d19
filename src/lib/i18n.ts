import fs from 'node:fs';
import path from 'node:path';
import i18next, { i18n as I18n } from 'i18next';
import { ROOT_DIR } from '../config/env';

/**
 * The app's languages: one i18next instance, made once from locales/<language>.json when this
 * module is first imported, shared by pages, the API, mails and commands. English is the
 * reference; adding a language is adding its file and its code here (docs/i18n.md).
 *
 * Escaping: i18next never escapes (`escapeValue: false`). A translation is plain text, never
 * HTML, and every place that shows one escapes it exactly once: `<%= t('…') %>` in EJS, JSON
 * encoding in the API. Variables are not interpolated a second time (`skipOnVariables`), so a
 * username like "{{x}}" or "$t(y)" stays what it is.
 */
/** A BCP 47 tag of one of SUPPORTED_LANGUAGES: `en`, `ru`, `es`, `zh-CN`. */
export type Language = string;
export const DEFAULT_LANGUAGE: Language = 'en';
export const LOCALES_DIR = path.join(ROOT_DIR, 'locales');

/**
 * Every language with a file in locales/, English (the reference) first: adding a language is
 * adding its file. Read once, at start.
 */
export const SUPPORTED_LANGUAGES: readonly Language[] = Object.freeze(
  fs.readdirSync(LOCALES_DIR)
    .filter((name) => /^[a-z]{2,3}(?:-[A-Z]{2})?\.json$/.test(name))
    .map((name) => name.slice(0, -'.json'.length))
    .sort((a, b) => Number(b === DEFAULT_LANGUAGE) - Number(a === DEFAULT_LANGUAGE) || a.localeCompare(b)),
);

export type TranslateVars = Record<string, unknown>;
/** A message to translate later, in the language of whoever reads it: `{ key: 'validation.summary' }`. */
export interface MessageRef {
  key: string;
  vars?: TranslateVars;
}
/**
 * A MessageRef, or a plain string that is shown as it is (text that is not ours to translate),
 * or a list of whole sentences shown one after the other.
 */
export type Message = string | MessageRef | readonly Message[];

export type Translate = (key: string, vars?: TranslateVars) => string;

export function msg(key: string, vars?: TranslateVars): MessageRef {
  return vars ? { key, vars } : { key };
}

export function isMessageRef(value: unknown): value is MessageRef {
  return typeof value === 'object' && value !== null && typeof (value as MessageRef).key === 'string';
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && SUPPORTED_LANGUAGES.includes(value);
}

export function readLocale(language: string, dir = LOCALES_DIR): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(dir, `${language}.json`), 'utf8')) as Record<string, unknown>;
}

function createInstance(): I18n {
  const instance = i18next.createInstance();
  void instance.init({
    resources: Object.fromEntries(SUPPORTED_LANGUAGES.map((language) => [language, { translation: readLocale(language) }])),
    lng: DEFAULT_LANGUAGE,
    fallbackLng: DEFAULT_LANGUAGE,
    supportedLngs: [...SUPPORTED_LANGUAGES],
    // zh-CN is looked up as zh-CN only, never as "zh" (which has no file).
    load: 'currentOnly',
    initAsync: false,
    returnNull: false,
    interpolation: { escapeValue: false, skipOnVariables: true },
    showSupportNotice: false,
  } as Parameters<I18n['init']>[0]);
  // `{{label, lowercase}}`: English puts a field's label inside a sentence in lower case ("Enter username.").
  instance.services.formatter?.add('lowercase', (value: unknown, language?: string) => String(value).toLocaleLowerCase(language));
  return instance;
}

const instance = createInstance();
const translators = new Map<Language, Translate>();

/** Past this many entries, a memory of text made from varying values (names, dates) starts over. */
const REMEMBERED_VALUES = 5000;

/**
 * Text computed from values, remembered by an id naming those values: the resources and Intl's
 * rules never change after start, so the same values always make the same text. Past
 * REMEMBERED_VALUES entries the memory starts over, so no input can grow it without bound.
 */
function createMemory() {
  const memory = new Map<string, string>();
  return {
    get: (id: string) => memory.get(id),
    set(id: string, text: string) {
      if (memory.size >= REMEMBERED_VALUES) memory.clear();
      memory.set(id, text);
    },
  };
}

/**
 * What identifies a translation with variables: the key, then each name, the value's type and
 * the value, NUL-separated. Names are ours and hold no NUL; a value that holds one is not
 * remembered, so no value can pass for another (a username holding separators stays one value).
 * Undefined, too, when a value is not a string, number or boolean.
 */
function rememberedAs(key: string, vars: TranslateVars): string | undefined {
  let id = key;
  for (const name in vars) {
    const value = vars[name];
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return undefined;
      id += `\u0000${name}\u0000s${value}`;
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      id += `\u0000${name}\u0000${typeof value === 'number' ? 'n' : 'b'}${value}`;
    } else {
      return undefined;
    }
  }
  return id;
}

/**
 * A `t` fixed to one language: for a request (res.locals.t), a mail, a command.
 *
 * The resources never change after start, so a key with the same variables always reads the
 * same: translations are remembered per language, since i18next's lookup and interpolation were
 * most of /me's CPU (docs/performance.md). A key without variables is remembered for good (there
 * are only so many keys); one with variables in a createMemory(), since its values (each user's
 * name and dates) are not bounded. A missing key (i18next answers the key itself) is never
 * remembered, so no input grows the map of plain keys.
 */
export function translator(language: Language): Translate {
  let t = translators.get(language);
  if (!t) {
    const lng = language;
    // Not getFixedT: its function copies every option of the instance on each call, which cost
    // more than the translation itself. instance.t with the language as an option is the same
    // lookup without that copy.
    const translate = (key: string, vars?: TranslateVars) => instance.t(key, { ...vars, lng } as never) as unknown as string;
    const plain = new Map<string, string>();
    const withVars = createMemory();
    t = (key, vars) => {
      if (vars === undefined) {
        let text = plain.get(key);
        if (text === undefined) {
          text = translate(key);
          if (text !== key) plain.set(key, text);
        }
        return text;
      }
      const id = rememberedAs(key, vars);
      let text = id === undefined ? undefined : withVars.get(id);
      if (text === undefined) {
        text = translate(key, vars);
        if (id !== undefined && text !== key) withVars.set(id, text);
      }
      return text;
    };
    translators.set(language, t);
  }
  return t;
}

/** English, the reference: what error messages read as in logs and in code (`error.message`). */
export const english = translator(DEFAULT_LANGUAGE);

/** A Message as text in a language: a MessageRef is translated, a plain string kept. */
export function localize(message: Message, t: Translate): string {
  if (typeof message === 'string') return message;
  if (isMessageRef(message)) return t(message.key, message.vars && localizeVars(message.vars, t));
  return (message as readonly Message[]).map((sentence) => localize(sentence, t)).join(' ');
}

/** A variable may itself be a MessageRef (a field's label in a sentence): translated first, in the same language. */
function localizeVars(vars: TranslateVars, t: Translate): TranslateVars {
  const entries = Object.entries(vars);
  if (!entries.some(([, value]) => isMessageRef(value))) return vars;
  return Object.fromEntries(entries.map(([name, value]) => [name, isMessageRef(value) ? localize(value, t) : value]));
}

export interface Formatters {
  /** 7 Dec 2026 (in the language's own form). */
  date(value: Date | string): string;
  /** 7 Dec 2026, 14:05 UTC. */
  dateTime(value: Date | string): string;
  /** 1,234 / 1 234 / 1.234. */
  number(value: number): string;
}

const formatters = new Map<Language, Formatters>();

/**
 * Dates and numbers with Intl in the page's language. Times are shown in UTC, with the zone
 * named, since the server does not know the reader's zone (pages work without JavaScript).
 */
export function formattersFor(language: Language): Formatters {
  let known = formatters.get(language);
  if (!known) {
    const date = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: 'UTC' });
    const dateTime = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
    const number = new Intl.NumberFormat(language);
    /** A formatter that remembers what it made for each instant (a page shows the same dates again and again). */
    const remembering = (format: (value: Date) => string) => {
      const made = createMemory();
      return (value: Date | string) => {
        const id = value instanceof Date ? String(value.getTime()) : value;
        let text = made.get(id);
        if (text === undefined) {
          text = format(value instanceof Date ? value : new Date(value));
          made.set(id, text);
        }
        return text;
      };
    };
    known = {
      date: remembering((value) => date.format(value)),
      dateTime: remembering((value) => `${dateTime.format(value)} UTC`),
      number: (value) => number.format(value),
    };
    formatters.set(language, known);
  }
  return known;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
const NEEDS_ESCAPING = /[&<>"']/;

/** Text made safe in HTML content and quoted attributes: the same five entities as ejs's own escape. */
export function escapeHtml(text: string): string {
  // Most of what a page prints has nothing to escape: a test is cheaper than a replace that finds nothing.
  return NEEDS_ESCAPING.test(text) ? text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char) : text;
}

/**
 * The one way to put emphasis inside a translated sentence: `<%- th('me.profile.pendingEmail', { email }) %>`.
 * The translation is escaped, then its own `<strong>…</strong>` (the only markup a translation
 * may hold) becomes real tags; each variable is escaped on its own and put in afterwards, so a
 * value that contains "<strong>" stays text. `count` stays a number, for the plural rules.
 */
export function translateHtml(t: Translate, key: string, vars: TranslateVars = {}): string {
  const values: string[] = [];
  const placeholders = Object.fromEntries(Object.entries(vars).map(([name, value]) => {
    if (name === 'count') return [name, value];
    values.push(String(value));
    return [name, `\u0000${values.length - 1}\u0000`];
  }));
  return escapeHtml(t(key, placeholders))
    .replace(/&lt;(\/?)strong&gt;/g, '<$1strong>')
    .replace(/\u0000(\d+)\u0000/g, (_match, index: string) => escapeHtml(values[Number(index)] ?? ''));
}

/** Every language, named in itself (its own file's `language.self`), for the switcher and the profile. */
export const LANGUAGE_OPTIONS: readonly { code: Language; name: string }[] = Object.freeze(
  SUPPORTED_LANGUAGES.map((code) => ({ code, name: translator(code)('language.self') })),
);

/** What every page and partial gets: `t`, `tm` (a Message), `lang`, `fmt`, `languages` (see view-engine.ts). */
export interface ViewI18n {
  lang: Language;
  t: Translate;
  /** A translation holding `<strong>` (see translateHtml), for `<%- %>`. */
  th: (key: string, vars?: TranslateVars) => string;
  tm: (message: Message) => string;
  fmt: Formatters;
  languages: typeof LANGUAGE_OPTIONS;
}

const viewHelpers = new Map<Language, ViewI18n>();

export function viewI18n(language: Language): ViewI18n {
  let helpers = viewHelpers.get(language);
  if (!helpers) {
    const t = translator(language);
    helpers = { lang: language, t, th: (key, vars) => translateHtml(t, key, vars), tm: (message) => localize(message, t), fmt: formattersFor(language), languages: LANGUAGE_OPTIONS };
    viewHelpers.set(language, helpers);
  }
  return helpers;
}
