/**
 * A readable label for a session from its User-Agent ("Firefox on Windows", "Safari on iPhone").
 * Deliberately small: it names the common browsers and systems and falls back to "Unknown
 * browser"; it is a hint for the user, never used for any security decision.
 */
import { MessageRef, msg } from './i18n';

/** A browser's name alone (not ours to translate), or a sentence to translate. */
export type DeviceLabel = string | MessageRef;

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChrom(?:e|ium)\/|\bCriOS\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
  [/\bHeadlessChrome\//, 'Headless Chrome'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

function partsOf(userAgent: string) {
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  return { browser, system };
}

/**
 * The label as a Message, translated where it is read: on a page, in an API answer, in the
 * export, in a mail (the mail's language). The names of browsers and systems stay as they are.
 */
export function deviceLabel(userAgent: string | null): DeviceLabel {
  if (!userAgent) return msg('common.device.unknownDevice');
  const { browser, system } = partsOf(userAgent);
  if (browser && system) return msg('common.device.browserOnSystem', { browser, system });
  if (browser) return browser;
  return system ? msg('common.device.someBrowserOnSystem', { system }) : msg('common.device.unknownBrowser');
}
