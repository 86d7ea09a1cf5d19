/**
 * Packages that ship only as ES modules (@scure/base and @noble/hashes 2, under otplib). Node 20
 * loads them with require() on its own, but jest's module system does not: jest compiles them to
 * CommonJS through ts-jest. Shared by jest.config.js and jest.e2e.config.js.
 */
const ESM_ONLY = '(@scure/base|@noble/hashes)';

module.exports = {
  transform: {
    [`/node_modules/${ESM_ONLY}/.+\\.js$`]: ['ts-jest', {
      diagnostics: false,
      tsconfig: { allowJs: true, module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' },
    }],
  },
  // Everything else in node_modules (at any depth) is loaded as it is.
  transformIgnorePatterns: [`/node_modules/(?!${ESM_ONLY}/)(?!.*/node_modules/)`],
};
