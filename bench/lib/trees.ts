import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './processes';

/** A Gatehouse checkout to run: a folder as given, or a git revision checked out for the run. */
export interface Tree {
  label: string;
  dir: string;
  worktree: boolean;
}

/**
 * Each spec is a folder holding a checkout (it has src/server.ts) or a git revision, checked out
 * into a temporary worktree under `scratchDir` that shares this checkout's node_modules.
 * No specs: HEAD against the working tree.
 */
export function resolveTrees(specs: string[], scratchDir: string): Tree[] {
  const trees: Tree[] = [];
  try {
    for (const [index, spec] of (specs.length > 0 ? specs : ['HEAD', '.']).entries()) {
      const asDir = path.resolve(spec);
      if (fs.existsSync(path.join(asDir, 'src', 'server.ts'))) {
        trees.push({ label: spec, dir: asDir, worktree: false });
        continue;
      }
      const dir = path.join(scratchDir, `tree-${index}`);
      execFileSync('git', ['worktree', 'add', '--detach', '--quiet', dir, spec], { cwd: ROOT, stdio: 'inherit' });
      trees.push({ label: spec, dir, worktree: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    }
  } catch (error) {
    removeTrees(trees);
    throw error;
  }
  return trees;
}

/** Removes the worktrees `resolveTrees` made (folders given as such are left alone). */
export function removeTrees(trees: Tree[]): void {
  for (const tree of trees.filter((t) => t.worktree)) {
    execFileSync('git', ['worktree', 'remove', '--force', tree.dir], { cwd: ROOT });
  }
}
