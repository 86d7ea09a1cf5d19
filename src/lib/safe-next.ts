const PLACEHOLDER_ORIGIN = 'http://gatehouse.invalid';

/**
 * The `next` parameter of the login form, reduced to a path on this site or undefined.
 * Refuses absolute URLs, scheme-relative `//host`, backslash tricks (`/\host`) and anything
 * with control characters, then re-derives the path from a parsed URL so what we redirect to
 * is exactly what we checked.
 */
export function safeNextPath(next: unknown): string | undefined {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return undefined;
  if (!next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return undefined;
  if (/[\u0000-\u001f\u007f]/.test(next)) return undefined;
  let url: URL;
  try {
    url = new URL(next, PLACEHOLDER_ORIGIN);
  } catch {
    return undefined;
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return undefined;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // The parser resolves dot segments, so "/.//evil.test" comes out as "//evil.test": check again.
  return path.startsWith('//') ? undefined : path;
}
