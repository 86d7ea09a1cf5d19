import { Language, SUPPORTED_LANGUAGES } from './i18n';

const TAG = /^(?:[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)$/;
const TRADITIONAL_CHINESE_REGIONS = new Set(['tw', 'hk', 'mo']);

interface Match {
  language: Language;
  /** A stand-in (Simplified Chinese for a reader of Traditional): taken only when nothing else matches. */
  weak: boolean;
}

/** One language range of Accept-Language against our languages. */
function matchTag(tag: string): Match | undefined {
  const lower = tag.toLowerCase();
  const exact = SUPPORTED_LANGUAGES.find((language) => language.toLowerCase() === lower);
  if (exact) return { language: exact, weak: false };
  const [primary, ...subtags] = lower.split('-');
  // A language without its own file is served in the closest one we have: es-MX in es.
  const sibling = SUPPORTED_LANGUAGES.find((language) => language.toLowerCase().split('-')[0] === primary);
  if (!sibling) return undefined;
  // Our Chinese is Simplified (zh-CN): a reader of Traditional gets it only as a last resort.
  const traditional = primary === 'zh' && (subtags.includes('hant') || (!subtags.includes('hans') && subtags.some((subtag) => TRADITIONAL_CHINESE_REGIONS.has(subtag))));
  return { language: sibling, weak: traditional };
}

/**
 * The best of our languages for an Accept-Language header (RFC 9110 §12.5.4), or undefined when
 * none fits: ranges by q-value, highest first (ties keep their order), q=0 meaning "not this".
 * A regional variant gets its language (es-MX → es); Traditional Chinese (zh-TW, zh-HK, zh-Hant)
 * gets Simplified only when no other range matches at all. Malformed ranges are skipped.
 */
export function negotiateAcceptLanguage(header: string | undefined): Language | undefined {
  if (!header || header.length > 1024) return undefined;
  const ranges = header.split(',').flatMap((part, index) => {
    const [rawTag, ...params] = part.trim().split(';');
    const tag = (rawTag ?? '').trim();
    if (!TAG.test(tag)) return [];
    let q = 1;
    for (const param of params) {
      const [name, value] = param.trim().split('=');
      if (name?.trim().toLowerCase() === 'q') q = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(value?.trim() ?? '') ? Number(value) : 0;
    }
    return q > 0 ? [{ tag, q, index }] : [];
  });
  ranges.sort((a, b) => b.q - a.q || a.index - b.index);
  let standIn: Language | undefined;
  for (const { tag } of ranges) {
    const match = matchTag(tag);
    if (!match) continue;
    if (!match.weak) return match.language;
    standIn ??= match.language;
  }
  return standIn;
}
