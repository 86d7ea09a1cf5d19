import fs from 'node:fs';
import path from 'node:path';

/**
 * GitHub's anchor for a heading: the rendered text, lower-cased, with everything but letters,
 * digits, spaces, hyphens and underscores removed, spaces turned into hyphens; a repeated
 * heading gets -1, -2… (github-slugger's rules, which is ESM-only and so unusable under jest here).
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCode(markdown, false).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Fenced blocks go; inline code goes too unless it is kept for headings (whose text it is part of). */
function withoutCode(markdown: string, dropInline = true): string {
  const blocks = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return dropInline ? blocks.replace(/`[^`\n]*`/g, '') : blocks;
}

/** Every link and image target in the prose: `[text](target)`, `![alt](target)`. */
export function linkTargets(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
}

/** Relative links that name no file, or an anchor that is no heading of the file they name. */
export function brokenLinks(files: string[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    for (const target of linkTargets(fs.readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: — not ours to check
      const [relative, anchor] = target.split('#', 2) as [string, string | undefined];
      const resolved = relative === '' ? file : path.resolve(path.dirname(file), decodeURI(relative));
      if (!fs.existsSync(resolved)) {
        problems.push(`${file}: ${target} (no such file)`);
      } else if (anchor !== undefined && !headingAnchors(fs.readFileSync(resolved, 'utf8')).has(anchor)) {
        problems.push(`${file}: ${target} (no heading #${anchor} in ${path.basename(resolved)})`);
      }
    }
  }
  return problems;
}
