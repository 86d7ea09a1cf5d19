import os from 'node:os';
import { median } from './load';
import type { Row } from './report';

/** What one database engine's Gatehouse runs add beyond the table rows. */
export interface EngineReport {
  startupMs: number[];
  /** /me ÷ floor (b) from bursts alternating between the two servers, both running at once. */
  interleaved?: { rounds: number; burstS: number; reqRatios: number[]; cpuRatios: number[] };
  rss?: { seconds: number; firstHalfMaxMb: number; secondHalfMaxMb: number; firstHalfMeanMb: number; secondHalfMeanMb: number; peakMb: number };
}

/**
 * Throughput ratio, or with `byCpu` the ratio of server CPU spent per request (baseline ÷
 * target). Either way, above 1 means Gatehouse is ahead of the baseline.
 */
function ratio(rows: Row[], numerator: string, denominator: string, engine: string, byCpu = false): number | undefined {
  const top = rows.find((r) => r.label.startsWith(numerator) && r.engine === engine)?.median;
  const bottom = rows.find((r) => r.label.startsWith(denominator) && r.engine === 'baseline')?.median;
  if (!top || !bottom) return undefined;
  return byCpu ? (bottom.cpuUsPerReq ?? NaN) / (top.cpuUsPerReq ?? NaN) : top.reqPerSec / bottom.reqPerSec;
}

export function computeRatios(rows: Row[], engines: string[]): Record<string, number | undefined> {
  const ratios: Record<string, number | undefined> = {};
  for (const engine of engines) {
    ratios[`${engine}: /me ÷ floor (b)`] = ratio(rows, 'GET /me (cookie)', '(b)', engine);
    ratios[`${engine}: /me ÷ ceiling (a)`] = ratio(rows, 'GET /me (cookie)', '(a)', engine);
    ratios[`${engine}: login ÷ raw bcrypt (c)`] = ratio(rows, 'POST /api/auth/login', '(c)', engine);
    ratios[`${engine}: login with /healthz probe ÷ (c)`] = ratio(rows, 'POST /api/auth/login, probed', '(c)', engine);
    ratios[`${engine}: /me ÷ floor (b), CPU/req`] = ratio(rows, 'GET /me (cookie)', '(b)', engine, true);
    ratios[`${engine}: login ÷ bcrypt (c), CPU/req`] = ratio(rows, 'POST /api/auth/login', '(c)', engine, true);
  }
  return ratios;
}

const loadText = (load: number[]) => load.map((l) => l.toFixed(2)).join(' ');

export function formatSummary(rows: Row[], engines: Record<string, EngineReport>, ratios: Record<string, number | undefined>, loadBefore: number[], loadAfter: number[]): string {
  const lines = ['Ratios (medians; above 1 means Gatehouse is ahead):'];
  const line = (name: string, text: string) => lines.push(`  ${name.padEnd(38)} ${text}`);
  for (const [name, value] of Object.entries(ratios)) if (value !== undefined && Number.isFinite(value)) line(name, `${value.toFixed(2)}×`);
  for (const [engine, report] of Object.entries(engines)) {
    const healthz = rows.find((r) => r.engine === engine && r.label.startsWith('GET /healthz'));
    if (healthz) line(`${engine}: /healthz p99 in login storm`, `${healthz.median.p99Ms.toFixed(1)} ms (max ${healthz.median.maxMs.toFixed(0)} ms)`);
    if (report.interleaved) {
      const { rounds, burstS, reqRatios, cpuRatios } = report.interleaved;
      const range = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
      line(`${engine}: /me ÷ floor (b), interleaved`, `${median(reqRatios).toFixed(2)}× req/s (rounds ${range(reqRatios)}), `
        + `${median(cpuRatios).toFixed(2)}× CPU/req (${range(cpuRatios)}); ${rounds} rounds of ${burstS} s each`);
    }
    if (report.startupMs.length > 0) {
      line(`${engine}: start-up to ready (/readyz)`, `median ${median(report.startupMs).toFixed(0)} ms (first ${report.startupMs[0]!.toFixed(0)} ms, ${report.startupMs.length} starts)`);
    }
    if (report.rss) {
      const r = report.rss;
      line(`${engine}: RSS over ${r.seconds}s of /me`, `first half max ${r.firstHalfMaxMb.toFixed(1)} MB, second half max ${r.secondHalfMaxMb.toFixed(1)} MB `
        + `(means ${r.firstHalfMeanMb.toFixed(1)} → ${r.secondHalfMeanMb.toFixed(1)}), peak ${r.peakMb.toFixed(1)} MB`);
    }
  }
  lines.push(`Load average ${loadText(loadBefore)} before, ${loadText(loadAfter)} after; ${os.availableParallelism()} CPUs.`);
  return lines.join('\n');
}
