/** Every trick we know for turning "a path on this site" into another site. */
export const OPEN_REDIRECT_ATTEMPTS = [
  '//evil.test', '///evil.test', '/\\evil.test', '\\\\evil.test', '/\\/evil.test', 'https://evil.test', 'http:/evil.test',
  'HTTPS://evil.test', 'evil.test', '/%2F%2Fevil.test', '/%5C%5Cevil.test', 'javascript:alert(1)', 'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>', '/\t/evil.test', '\t//evil.test', '/\n/evil.test', '/\r\n/evil.test',
  ' //evil.test', '/.//evil.test', '/..//evil.test', '/a/..//evil.test', '/%2e//evil.test', '/x/%2e%2e//evil.test',
  '/./\\evil.test', '//evil.test@gatehouse.test', '/\u0000/evil.test', '/\u007f/evil.test',
];
