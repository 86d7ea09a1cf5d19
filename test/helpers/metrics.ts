import request from 'supertest';
import type { TestApp } from './make-app';

/** A scrape as a map from series (`name{labels}`) to value. Comments (# HELP, # TYPE) are left out. */
export type Series = Map<string, number>;

export function parseSeries(text: string): Series {
  const series: Series = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

export async function scrape(t: TestApp, headers: Record<string, string> = {}): Promise<Series> {
  const res = await request(t.app).get('/metrics').set(headers);
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
  return parseSeries(res.text);
}

/** The series whose value changed between two scrapes, with the change; only those starting with `prefix`. */
export function changed(before: Series, after: Series, prefix: string): Record<string, number> {
  const moved: Record<string, number> = {};
  for (const [name, value] of after) {
    if (!name.startsWith(prefix)) continue;
    const delta = value - (before.get(name) ?? 0);
    if (delta !== 0) moved[name] = delta;
  }
  return moved;
}
