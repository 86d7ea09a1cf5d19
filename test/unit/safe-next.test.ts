import { safeNextPath } from '../../src/lib/safe-next';
import { OPEN_REDIRECT_ATTEMPTS } from '../helpers/redirects';

/** Where a browser would go if it followed this Location from our site. */
function landsOnSite(location: string): boolean {
  const base = 'http://gatehouse.test';
  return new URL(location, base).origin === base;
}

describe('safeNextPath', () => {
  it.each(OPEN_REDIRECT_ATTEMPTS)('never turns %j into a path that leaves the site', (next) => {
    const path = safeNextPath(next);
    if (path !== undefined) {
      expect(path.startsWith('/')).toBe(true);
      expect(path.startsWith('//')).toBe(false);
      expect(landsOnSite(path)).toBe(true);
    }
  });

  it.each([
    ['/me', '/me'],
    ['/articles/12?page=2#top', '/articles/12?page=2#top'],
    ['/a/../me', '/me'],
    ['/search?q=a b', '/search?q=a%20b'],
  ])('keeps the local path %j as %j', (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });

  it.each([undefined, null, 42, ['/me'], { path: '/me' }, '', `/${'a'.repeat(2048)}`])('refuses %p', (next) => {
    expect(safeNextPath(next)).toBeUndefined();
  });
});
