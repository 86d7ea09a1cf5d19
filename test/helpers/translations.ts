import { DEFAULT_LANGUAGE, readLocale } from '../../src/lib/i18n';

// Plain JavaScript, shared with npm run build: the same flattening the completeness check uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { flatten } = require('../../scripts/check-locales') as { flatten(object: unknown): Record<string, string> };

/**
 * What a page says to a reader, in any language, to look for leftovers in: its visible text and
 * the attributes a screen reader or a tooltip reads out, with the markup, scripts and entities gone.
 */
export function readableText(html: string): string {
  const attributes = [...html.matchAll(/\s(?:aria-label|title|alt|placeholder)="([^"]*)"/g)].map((match) => match[1]);
  const body = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/g, ' ')
    .replace(/<title>[\s\S]*?<\/title>/, (title) => ` ${title.slice(7, -8)} `)
    .replace(/<[^>]+>/g, ' ');
  return decodeEntities([body, ...attributes].join(' ')).replace(/\s+/g, ' ');
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_match, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const english = flatten(readLocale(DEFAULT_LANGUAGE));
const SECTIONS = Object.keys(readLocale(DEFAULT_LANGUAGE));
const KEY_LIKE = new RegExp(`(?<![\\w./-])(?:${SECTIONS.join('|')})(?:\\.[A-Za-z][\\w-]*)+(?![\\w/-])`, 'g');

/**
 * Translation keys shown as they are: i18next prints the key of a missing translation. Anything
 * shaped like a key of one of our sections counts (`admin.users.count`, also one no file has).
 */
export function rawKeysIn(html: string): string[] {
  return [...new Set(readableText(html).match(KEY_LIKE) ?? [])];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * English sentences and labels of ours that have a different translation in `language`: none
 * of them may appear on a page in that language. Strings with variables, and short words that
 * are the same in several languages or look like data ("IP", "on"), are left out.
 */
export function knownEnglish(language: string): string[] {
  const own = flatten(readLocale(language));
  return [...new Set(Object.entries(english)
    .filter(([key, text]) => !NAMED_IN_ITSELF.includes(key) && !text.includes('{{') && text.length >= 4 && own[key] !== undefined && own[key] !== text)
    .map(([, text]) => text))];
}

/** Every page lists every language in its own name ("English" in the switcher of a Russian page). */
const NAMED_IN_ITSELF = ['language.self'];

/** The known English strings (knownEnglish) a page in `language` still shows, as whole words. */
export function englishLeftovers(html: string, language: string): string[] {
  const text = readableText(html);
  return knownEnglish(language).filter((phrase) => new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(phrase)}(?![\\p{L}\\p{N}_])`, 'u').test(text));
}

export const htmlLang = (html: string) => /<html lang="([^"]+)">/.exec(html)?.[1];
