/**
 * How a test starts one of the app's programs. Normally from the TypeScript sources through tsx
 * (`node --require tsx/cjs src/server.ts`); with TEST_AGAINST_DIST=1 (CI's second pass, after
 * `npm run build`) the compiled `node dist/server.js` or `node dist/src/cli/…js`, with no loader.
 */
export const AGAINST_DIST = process.env.TEST_AGAINST_DIST === '1';

/** Node's arguments for an entry point named by its source, e.g. `src/cli/keys.ts`. */
export function entryArgs(source: string): string[] {
  if (!AGAINST_DIST) return ['--require', 'tsx/cjs', source];
  return [source === 'src/server.ts' ? 'dist/server.js' : `dist/${source.replace(/\.ts$/, '.js')}`];
}
