import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * The common-password list of zxcvbn-ts (about 49,000 passwords seen most often in breaches),
 * from the npm registry so it stays maintained. Only entries long enough to pass the length
 * rule matter; they are held lower-cased in a Set built once.
 */
let commonPasswords: Set<string> | undefined;

function load(): Set<string> {
  const list = (dictionary as Record<string, string[]>)['passwords-common'] ?? [];
  return new Set(list.filter((password) => password.length >= 8).map((password) => password.toLowerCase()));
}

export function isCommonPassword(lowercased: string): boolean {
  commonPasswords ??= load();
  return commonPasswords.has(lowercased);
}
