/**
 * A readable label for a session from its User-Agent ("Firefox on Windows", "Safari on iPhone").
 * Deliberately small: it names the common browsers and systems and falls back to "Unknown
 * browser"; it is a hint for the user, never used for any security decision.
 */
import { Message, msg } from './i18n';

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

export function deviceLabel(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const { browser, system } = partsOf(userAgent);
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? (system ? `Browser on ${system}` : 'Unknown browser');
}

/** The same label as a Message, in the reader's language (the names of browsers and systems stay as they are). */
export function deviceMessage(userAgent: string | null): Message {
  if (!userAgent) return msg('admin.device.unknownDevice');
  const { browser, system } = partsOf(userAgent);
  if (browser && system) return msg('admin.device.browserOnSystem', { browser, system });
  if (browser) return browser;
  return system ? msg('admin.device.someBrowserOnSystem', { system }) : msg('admin.device.unknownBrowser');
}
