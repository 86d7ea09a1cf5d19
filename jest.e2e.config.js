/**
 * The browser suite (npm run test:e2e): the real app on an ephemeral port, driven by Debian's
 * chromium through playwright-core. One file at a time: each starts its own browser.
 */
const esmPackages = require('./test/esm-packages');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    ...esmPackages.transform,
  },
  transformIgnorePatterns: esmPackages.transformIgnorePatterns,
  globalSetup: '<rootDir>/test/e2e/global-setup.js',
  maxWorkers: 1,
  testTimeout: 60000,
  // A journey that fails half-way leaves its server or browser open: report, never hang CI.
  forceExit: true,
};
