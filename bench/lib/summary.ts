import os from 'node:os';
import { REFRESH_FLOOR_LABEL } from './baselines';
import type { EngineReport } from './engine';
import { median } from './load';
import type { Row } from './report';

const REFRESH_LABEL = 'POST /api/auth/refresh (rotation)';

function find(rows: Row[], label: string, engine: string, dataset?: string): Row | undefined {
  return rows.find((r) => r.label.startsWith(label) && r.engine === engine && (dataset === undefined || r.dataset === undefined || r.dataset === dataset));
}

/**
 * Throughput ratio, or with `byCpu` the ratio of server CPU spent per request (baseline ÷
 * target). Either way, above 1 means Gatehouse is ahead of the baseline.
 */
function ratio(rows: Row[], numerator: string, denominator: string, engine: string, byCpu = false): number | undefined {
  const top = find(rows, numerator, engine, 'empty')?.median;
  const bottom = find(rows, denominator, 'baseline')?.median;
  if (!top || !bottom) return undefined;
  return byCpu ? (bottom.cpuUsPerReq ?? NaN) / (top.cpuUsPerReq ?? NaN) : top.reqPerSec / bottom.reqPerSec;
}

/** Rotations per second one core sustains: the server's own CPU, and with the database server's. */
export function perCore(row: Row | undefined, withDatabase = false): number | undefined {
  const cpu = row?.median.cpuUsPerReq;
  if (cpu === undefined || !Number.isFinite(cpu)) return undefined;
  return 1e6 / (cpu + (withDatabase ? row!.median.dbCpuUsPerReq ?? NaN : 0));
}

export function computeRatios(rows: Row[], engines: string[]): Record<string, number | undefined> {
  const ratios: Record<string, number | undefined> = {};
  for (const engine of engines) {
    ratios[`${engine}: /me ÷ floor (b)`] = ratio(rows, 'GET /me (cookie)', '(b)', engine);
    ratios[`${engine}: /me ÷ plain floor (p)`] = ratio(rows, 'GET /me (cookie)', '(p)', engine);
    ratios[`${engine}: /me, access cookie only ÷ plain floor (p)`] = ratio(rows, 'GET /me (access cookie only)', '(p)', engine);
    ratios[`${engine}: /me, access cookie only ÷ plain floor (p), CPU/req`] = ratio(rows, 'GET /me (access cookie only)', '(p)', engine, true);
    ratios[`${engine}: /me ÷ ceiling (a)`] = ratio(rows, 'GET /me (cookie)', '(a)', engine);
    ratios[`${engine}: login ÷ raw bcrypt (c)`] = ratio(rows, 'POST /api/auth/login', '(c)', engine);
    ratios[`${engine}: login with /healthz probe ÷ (c)`] = ratio(rows, 'POST /api/auth/login, probed', '(c)', engine);
    ratios[`${engine}: /me ÷ floor (b), CPU/req`] = ratio(rows, 'GET /me (cookie)', '(b)', engine, true);
    ratios[`${engine}: /me ÷ plain floor (p), CPU/req`] = ratio(rows, 'GET /me (cookie)', '(p)', engine, true);
    ratios[`${engine}: login ÷ bcrypt (c), CPU/req`] = ratio(rows, 'POST /api/auth/login', '(c)', engine, true);
    for (const dataset of ['empty', 'seeded']) {
      const refresh = find(rows, REFRESH_LABEL, engine, dataset);
      const floor = find(rows, REFRESH_FLOOR_LABEL, engine, dataset);
      if (!refresh || refresh.dataset !== dataset) continue;
      ratios[`${engine} ${dataset}: refreshes/s per core`] = perCore(refresh);
      if (refresh.median.dbCpuUsPerReq !== undefined) ratios[`${engine} ${dataset}: refreshes/s per core, database's CPU included`] = perCore(refresh, true);
      if (floor?.dataset === dataset) {
        ratios[`${engine} ${dataset}: bare refresh floor (r)/s per core`] = perCore(floor);
        ratios[`${engine} ${dataset}: refresh ÷ bare floor (r), per core`] = (perCore(refresh) ?? NaN) / (perCore(floor) ?? NaN);
        if (floor.median.dbCpuUsPerReq !== undefined && refresh.median.dbCpuUsPerReq !== undefined) {
          ratios[`${engine} ${dataset}: refresh ÷ bare floor (r), per core, database included`] = (perCore(refresh, true) ?? NaN) / (perCore(floor, true) ?? NaN);
        }
      }
    }
  }
  return ratios;
}

/** Per target: seeded ÷ empty, in req/s and in CPU per request (empty ÷ seeded); above 1/1.5 = 0.67 meets the issue's target. */
export function datasetRatios(rows: Row[], engines: string[]): Array<{ engine: string; label: string; reqRatio: number; cpuRatio: number }> {
  const out = [];
  for (const engine of engines) {
    for (const seeded of rows.filter((r) => r.engine === engine && r.dataset === 'seeded')) {
      const empty = rows.find((r) => r.engine === engine && r.dataset === 'empty' && r.label === seeded.label);
      if (!empty) continue;
      out.push({
        engine,
        label: seeded.label,
        reqRatio: seeded.median.reqPerSec / empty.median.reqPerSec,
        cpuRatio: (empty.median.cpuUsPerReq ?? NaN) / (seeded.median.cpuUsPerReq ?? NaN),
      });
    }
  }
  return out;
}

const loadText = (load: number[]) => load.map((l) => l.toFixed(2)).join(' ');
const range = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

function engineLines(rows: Row[], engine: string, report: EngineReport, line: (name: string, text: string) => void): void {
  const healthz = rows.find((r) => r.engine === engine && r.dataset !== 'seeded' && r.label.startsWith('GET /healthz'));
  if (healthz) line(`${engine}: /healthz p99 in login storm`, `${healthz.median.p99Ms.toFixed(1)} ms (max ${healthz.median.maxMs.toFixed(0)} ms)`);
  for (const [name, interleaved] of [['floor (b)', report.interleaved], ['plain floor (p)', report.interleavedPlain]] as const) {
    if (!interleaved) continue;
    const { rounds, burstS, reqRatios, cpuRatios } = interleaved;
    line(`${engine}: /me ÷ ${name}, interleaved`, `${median(reqRatios).toFixed(2)}× req/s (rounds ${range(reqRatios)}), `
      + `${median(cpuRatios).toFixed(2)}× CPU/req (${range(cpuRatios)}); ${rounds} rounds of ${burstS} s each`);
  }
  if (report.startupMs.length > 0) {
    line(`${engine}: start-up to ready (/readyz)`, `median ${median(report.startupMs).toFixed(0)} ms (first ${report.startupMs[0]!.toFixed(0)} ms, ${report.startupMs.length} starts)`);
  }
  for (const [dataset, peak] of Object.entries(report.peakRssMb)) line(`${engine} ${dataset}: peak RSS of the instance, all targets`, `${peak!.toFixed(1)} MB`);
  if (report.rss) {
    const r = report.rss;
    line(`${engine}: RSS over ${r.seconds}s of /me`, `first half max ${r.firstHalfMaxMb.toFixed(1)} MB, second half max ${r.secondHalfMaxMb.toFixed(1)} MB `
      + `(means ${r.firstHalfMeanMb.toFixed(1)} → ${r.secondHalfMeanMb.toFixed(1)}), peak ${r.peakMb.toFixed(1)} MB`);
  }
}

/** The growth table: one line per target, req/s and CPU µs per request at each audit table size. */
export function formatGrowth(engine: string, levels: EngineReport['growth']): string {
  if (!levels || levels.length === 0) return '';
  const keys = Object.keys(levels[0]!.results);
  const header = `${engine}: growth, audit rows → ${levels.map((l) => l.auditRows.toLocaleString('en')).join(' | ')} (req/s, CPU µs/req)`;
  const lines = keys.map((key) => `  ${levels[0]!.results[key]!.label.padEnd(58)} ${levels.map((l) => {
    const r = l.results[key];
    return r ? `${r.reqPerSec.toFixed(0).padStart(6)} ${r.cpuUsPerReq.toFixed(0).padStart(5)}` : '     —     —';
  }).join(' | ')}`);
  return [header, ...lines].join('\n');
}

/** The multi-instance mode: per target, each way of serving it side by side, then its ratios. */
export function formatInstances(engine: string, report: EngineReport['instances']): string {
  if (!report) return '';
  const lines = [`${engine}: behind nginx (deploy/nginx.conf, TLS) — req/s, p99 ms, CPU µs/req of the instances, Redis µs/req`];
  for (const { label, by } of Object.values(report.results)) {
    const cells = report.plans.map((plan) => {
      const r = by[plan.key];
      const failed = r && r.non2xx + r.errors > 0 ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : '';
      return r ? `${plan.label}: ${r.reqPerSec.toFixed(0)}, ${r.p99Ms.toFixed(1)}, ${(r.cpuUsPerReq ?? NaN).toFixed(0)}, ${r.redisCpuUsPerReq === undefined ? '—' : r.redisCpuUsPerReq.toFixed(0)}${failed}` : `${plan.label}: —`;
    });
    lines.push(`  ${label.padEnd(34)} ${cells.join(' | ')}`);
  }
  for (const [name, value] of Object.entries(report.ratios)) {
    if (value !== undefined && Number.isFinite(value)) lines.push(`  ${`${engine}: ${name}`.padEnd(62)} ${value.toFixed(2)}×${name.endsWith('Redis ÷ memory') && value > 1.15 ? '  ← above 1.15×' : ''}`);
  }
  return lines.join('\n');
}

export function formatSummary(rows: Row[], engines: Record<string, EngineReport>, ratios: Record<string, number | undefined>, loadBefore: number[], loadAfter: number[]): string {
  const lines = ['Ratios (medians; above 1 means Gatehouse is ahead):'];
  const line = (name: string, text: string) => lines.push(`  ${name.padEnd(50)} ${text}`);
  for (const [name, value] of Object.entries(ratios)) {
    if (value === undefined || !Number.isFinite(value)) continue;
    line(name, name.includes('per core') && !name.includes('÷') ? value.toFixed(0) : `${value.toFixed(2)}×`);
  }
  const byDataset = datasetRatios(rows, Object.keys(engines));
  if (byDataset.length > 0) lines.push('Seeded ÷ empty (req/s, and CPU/req empty ÷ seeded; 0.67 or more = within 1.5×):');
  for (const r of byDataset) line(`${r.engine}: ${r.label}`, `${r.reqRatio.toFixed(2)}× req/s, ${r.cpuRatio.toFixed(2)}× CPU${r.reqRatio < 1 / 1.5 ? '  ← beyond 1.5×' : ''}`);
  for (const [engine, report] of Object.entries(engines)) engineLines(rows, engine, report, line);
  for (const [engine, report] of Object.entries(engines)) if (report.growth) lines.push(formatGrowth(engine, report.growth));
  for (const [engine, report] of Object.entries(engines)) if (report.instances) lines.push(formatInstances(engine, report.instances));
  lines.push(`Load average ${loadText(loadBefore)} before, ${loadText(loadAfter)} after; ${os.availableParallelism()} CPUs.`);
  return lines.join('\n');
}
