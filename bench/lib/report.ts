import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { LoadResult } from './load';
import { ROOT } from './processes';

export interface Row {
  label: string;
  engine: 'baseline' | 'sqlite' | 'mysql';
  /** Which database: only the bench's fixture (empty) or that plus npm run seed's data (seeded). */
  dataset?: 'empty' | 'seeded';
  median: LoadResult;
  reps: LoadResult[];
  peakRssMb: number;
  notes?: string;
}

const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

/** The table as plain text: one line per target, medians of the repetitions. */
export function formatTable(rows: Row[]): string {
  const header = ['target', 'engine', 'data', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'CPU µs/req', 'DB µs/req', 'notes'];
  const lines = rows.map((row) => [
    row.label,
    row.engine,
    row.dataset ?? '',
    fmt(row.median.reqPerSec, row.median.reqPerSec < 100 ? 1 : 0),
    fmt(row.median.p50Ms, 1),
    fmt(row.median.p99Ms, 1),
    fmt(row.peakRssMb, 0),
    fmt(row.median.cpuUsPerReq ?? NaN, 0),
    fmt(row.median.dbCpuUsPerReq ?? NaN, 0),
    row.notes ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) => cells.map((c, i) => (i >= 3 && i <= 8 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}

/** The same table in Markdown, for the README. */
export function formatMarkdown(rows: Row[]): string {
  const lines = ['| target | engine | data | req/s | p50 ms | p99 ms | peak RSS MB | CPU µs/req | DB µs/req |', '|---|---|---|---:|---:|---:|---:|---:|---:|'];
  for (const row of rows) {
    lines.push(`| ${row.label} | ${row.engine} | ${row.dataset ?? ''} | ${fmt(row.median.reqPerSec, row.median.reqPerSec < 100 ? 1 : 0)} | ${fmt(row.median.p50Ms, 1)} | ${fmt(row.median.p99Ms, 1)} | ${fmt(row.peakRssMb)} | ${fmt(row.median.cpuUsPerReq ?? NaN)} | ${fmt(row.median.dbCpuUsPerReq ?? NaN)} |`);
  }
  return lines.join('\n');
}

export function problemsOf(results: LoadResult[], extra?: Record<string, number>): string | undefined {
  const non2xx = results.reduce((sum, r) => sum + r.non2xx, 0);
  const errors = results.reduce((sum, r) => sum + r.errors, 0);
  const parts = [non2xx ? `${non2xx} non-2xx` : '', errors ? `${errors} errors` : ''];
  for (const [name, value] of Object.entries(extra ?? {})) if (value) parts.push(`${value} ${name}`);
  const text = parts.filter(Boolean).join(', ');
  return text || undefined;
}

export function writeResults(data: unknown): string {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** The commit measured, and whether src/ or views/ had uncommitted changes. */
export function describeCode(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'views'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${commit} + uncommitted changes` : commit;
  } catch {
    return 'unknown';
  }
}
