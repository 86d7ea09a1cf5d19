#!/usr/bin/env node
/**
 * npm run build: compiles src/ and migrations/ with tsc into dist/ (dist/src/…, dist/migrations/…,
 * the same relative layout, so a migration's `../src/db/schema` import holds in both trees), and
 * writes dist/server.js, the entry point production runs: `node dist/server.js`.
 * views/ and public/ are not copied: the compiled app reads them from the project root.
 *
 * `--if-needed` (npm start, migrate, keys, user:create run it first) builds only when a source
 * is newer than dist/, and never fails for want of TypeScript (a production install without
 * devDependencies): a built dist/ is then run as it is.
 *
 * Plain JavaScript on purpose: it must run where neither tsx nor TypeScript is installed.
 * Every build starts from an empty folder (a source deleted since the last build, above all a
 * migration, must not live on in dist/), and replaces dist/ in one rename, so a build running
 * next to another (two test files, bench) never leaves a half-written tree behind.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const ENTRY = path.join(DIST, 'server.js');
const SOURCES = ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((name) => path.join(ROOT, name));

function newestMtime(file) {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(file).reduce((newest, name) => Math.max(newest, newestMtime(path.join(file, name))), stat.mtimeMs);
}

function isFresh() {
  const built = fs.statSync(ENTRY, { throwIfNoEntry: false });
  return built !== undefined && SOURCES.every((source) => newestMtime(source) <= built.mtimeMs);
}

function findTsc() {
  try {
    return require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  } catch {
    return undefined;
  }
}

function build() {
  // A missing translation fails the build, as a type error does (docs/i18n.md).
  const localeProblems = require('./check-locales').checkLocales(ROOT);
  if (localeProblems.length > 0) throw new Error(`the translations are incomplete (node scripts/check-locales.js):\n${localeProblems.map((line) => `  - ${line}`).join('\n')}`);
  const tsc = findTsc();
  if (!tsc) throw new Error('TypeScript is not installed (npm install, with devDependencies, then npm run build)');
  const staging = path.join(ROOT, `.dist-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', staging], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error('tsc failed: dist/ is left as it was');
  }
  fs.writeFileSync(path.join(staging, 'server.js'), "'use strict';\n// Written by npm run build: the entry point production runs (node dist/server.js).\nrequire('./src/server.js');\n");
  const old = path.join(ROOT, `.dist-old-${process.pid}`);
  if (fs.existsSync(DIST)) fs.renameSync(DIST, old);
  try {
    fs.renameSync(staging, DIST);
  } catch (error) {
    // Another build put its dist/ in place between our two renames: theirs is as fresh as ours.
    if (!['ENOTEMPTY', 'EEXIST'].includes(error.code)) throw error;
    fs.rmSync(staging, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
}

function main() {
  const ifNeeded = process.argv.includes('--if-needed');
  if (ifNeeded && isFresh()) return;
  if (ifNeeded && !findTsc() && fs.existsSync(ENTRY)) {
    process.stderr.write('dist/ is older than the sources and TypeScript is not installed: running dist/ as it was built.\n');
    return;
  }
  const started = Date.now();
  process.stderr.write('Building dist/ with tsc…\n');
  build();
  process.stderr.write(`Built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`Build failed: ${error.message}\n`);
  process.exit(1);
}
