import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT_DIR } from '../../src/config/env';
import { brokenLinks, headingAnchors } from '../helpers/markdown-links';

const docs = fs.readdirSync(path.join(ROOT_DIR, 'docs')).filter((name) => name.endsWith('.md')).map((name) => path.join(ROOT_DIR, 'docs', name));
const readme = path.join(ROOT_DIR, 'README.md');

describe('the documentation', () => {
  it('has no relative link in README.md or docs/*.md that names a missing file or heading', () => {
    expect(docs.length).toBeGreaterThan(5);
    expect(brokenLinks([readme, ...docs])).toEqual([]);
  });

  it('links from the README to every page in docs/', () => {
    const text = fs.readFileSync(readme, 'utf8');
    const unlinked = docs.map((file) => `docs/${path.basename(file)}`).filter((page) => !text.includes(`](${page}`));
    expect(unlinked).toEqual([]);
  });

  it('makes anchors as GitHub does: code, punctuation and repeats', () => {
    const anchors = headingAnchors('# Gatehouse\n## `npm run security:scan`\n### What is and isn\'t revealed\n## Tokens\n## Tokens\n```\n# not a heading\n```\n');
    expect([...anchors]).toEqual(['gatehouse', 'npm-run-securityscan', 'what-is-and-isnt-revealed', 'tokens', 'tokens-1']);
  });

  it('reports a link to a missing file, a missing heading and a missing anchor in the same file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-links-'));
    fs.writeFileSync(path.join(dir, 'a.md'), '# A\n\n[ok](b.md#b-title) [gone](c.md) [no heading](b.md#nowhere) [self](#a) [bad self](#z)\n`[in code](x.md)`\n');
    fs.writeFileSync(path.join(dir, 'b.md'), '# B title\n');
    const file = path.join(dir, 'a.md');
    expect(brokenLinks([file])).toEqual([
      `${file}: c.md (no such file)`,
      `${file}: b.md#nowhere (no heading #nowhere in b.md)`,
      `${file}: #z (no heading #z in a.md)`,
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
