import { negotiateAcceptLanguage } from '../../src/lib/accept-language';
import { formattersFor, localize, msg, SUPPORTED_LANGUAGES, translateHtml, translator } from '../../src/lib/i18n';

describe('the languages', () => {
  it('are the files of locales/, English first', () => {
    expect(SUPPORTED_LANGUAGES).toEqual(['en', 'es', 'ru', 'zh-CN']);
  });
});

describe('negotiateAcceptLanguage', () => {
  it.each([
    ['ru-RU,ru;q=0.9,en-US;q=0.8', 'ru'],
    ['en-GB', 'en'],
    ['es-419', 'es'],
    ['ZH-cn', 'zh-CN'],
    ['zh-Hans-TW', 'zh-CN'],
    ['zh-HK, fr;q=0.8', 'zh-CN'],
    ['zh-Hant-TW;q=1, es;q=0.1', 'es'],
    ['de, es;q=0.5, ru;q=0.7', 'ru'],
    ['es;q=0.5, ru;q=0.5', 'es'],
    ['ru;q=0, es;q=0.2', 'es'],
    ['ru;q=1.5, es;q=0.2', 'es'],
    ['<script>, ru', 'ru'],
  ])('reads %j as %s', (header, expected) => {
    expect(negotiateAcceptLanguage(header)).toBe(expected);
  });

  it.each([undefined, '', '*', 'fr-FR, de;q=0.5', 'ru;q=0', 'x'.repeat(2000)])('finds nothing in %j', (header) => {
    expect(negotiateAcceptLanguage(header)).toBeUndefined();
  });
});

describe('translations', () => {
  it('choose the plural form by the language\'s rules: Russian one, few, many', () => {
    const ru = translator('ru');
    expect(ru('auth.mfa.signedInWithRecoveryCode', { count: 1 })).toContain('Остался 1 код:');
    expect(ru('auth.mfa.signedInWithRecoveryCode', { count: 3 })).toContain('Осталось 3 кода:');
    expect(ru('auth.mfa.signedInWithRecoveryCode', { count: 5 })).toContain('Осталось 5 кодов:');
    expect(ru('auth.mfa.signedInWithRecoveryCode', { count: 21 })).toContain('Остался 21 код:');
    expect(translator('en')('auth.mfa.signedInWithRecoveryCode', { count: 1 })).toContain('1 of them is left');
    expect(translator('zh-CN')('auth.mfa.signedInWithRecoveryCode', { count: 1 })).toContain('还剩 1 个');
  });

  it('translate a label inside a sentence in the same language, lower-cased where English wants it', () => {
    const label = msg('validation.labels.login');
    expect(localize(msg('validation.required', { label }), translator('en'))).toBe('Enter username or email.');
    expect(localize(msg('validation.required', { label }), translator('ru'))).toBe('Заполните поле «Имя пользователя или адрес почты».');
  });

  it('never interpolate a value twice, and never escape: escaping is the view\'s', () => {
    const t = translator('en');
    expect(t('auth.register.welcome', { name: '{{name}} $t(nav.admin) <b>' })).toBe('Welcome, {{name}} $t(nav.admin) <b>! Your account is ready.');
  });

  it('fall back to English for a key a language lacks, and show an unknown key as itself', () => {
    expect(translator('ru')('no.such.key')).toBe('no.such.key');
  });

  it('remember each translation by its key and all of its values, so none is served for another', () => {
    const t = translator('en');
    // Values that would run together if the key and values were simply joined.
    expect(t('auth.register.welcome', { name: 'a","name","b' })).toBe('Welcome, a","name","b! Your account is ready.');
    expect(t('auth.register.welcome', { name: 'a' })).toBe('Welcome, a! Your account is ready.');
    expect(t('auth.register.welcome', { name: 'a","name","b' })).toBe('Welcome, a","name","b! Your account is ready.');
    // Another count is another entry, with its own plural form.
    expect(t('auth.mfa.signedInWithRecoveryCode', { count: 1 })).toContain('1 of them is left');
    expect(t('auth.mfa.signedInWithRecoveryCode', { count: 2 })).toContain('2 of them are left');
    // Past the memory's bound it starts over and goes on answering rightly.
    for (let i = 0; i < 6000; i += 1) expect(t('auth.register.welcome', { name: `user${i}` })).toBe(`Welcome, user${i}! Your account is ready.`);
    expect(t('auth.register.welcome', { name: 'a' })).toBe('Welcome, a! Your account is ready.');
  });
});

describe('translateHtml', () => {
  it('keeps the translation\'s own <strong> and escapes everything else, variables included', () => {
    const html = translateHtml(translator('en'), 'me.profile.pendingEmail', { email: '<strong>x</strong>@e.test' });
    expect(html).toBe('Pending change to <strong>&lt;strong&gt;x&lt;/strong&gt;@e.test</strong>: it takes effect once you follow the link we sent there.');
  });

  it('passes count through for the plural rules', () => {
    expect(translateHtml(translator('ru'), 'me.security.recovery.left', { count: 2, left: '2', total: '10' })).toBe('Осталось <strong>2</strong> из 10.');
  });
});

describe('formattersFor', () => {
  const moment = new Date('2026-12-07T14:05:00Z');
  it('formats dates and numbers in the page\'s language, times in UTC', () => {
    expect(formattersFor('en').dateTime(moment)).toBe('Dec 7, 2026, 2:05 PM UTC');
    expect(formattersFor('ru').date(moment)).toBe('7 дек. 2026 г.');
    expect(formattersFor('zh-CN').date(moment.toISOString())).toBe('2026年12月7日');
    expect(formattersFor('es').number(1234567)).toBe('1.234.567');
  });

  it('give each instant its own text, the same again when asked again, however it is given', () => {
    const en = formattersFor('en');
    const later = new Date(moment.getTime() + 60_000);
    expect(en.dateTime(moment)).toBe('Dec 7, 2026, 2:05 PM UTC');
    expect(en.dateTime(later)).toBe('Dec 7, 2026, 2:06 PM UTC');
    expect(en.dateTime(later.toISOString())).toBe('Dec 7, 2026, 2:06 PM UTC');
    expect(en.dateTime(moment)).toBe('Dec 7, 2026, 2:05 PM UTC');
    expect(en.date(new Date('2025-01-31T23:59:59Z'))).toBe('Jan 31, 2025');
  });
});
