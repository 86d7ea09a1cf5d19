/** Unit and integration tests (npm test). The browser suite has its own command, npm run test:e2e. */
const esmPackages = require('./test/esm-packages');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    ...esmPackages.transform,
  },
  transformIgnorePatterns: esmPackages.transformIgnorePatterns,
  globalSetup: '<rootDir>/test/global-setup.js',
  testTimeout: 30000,
};
