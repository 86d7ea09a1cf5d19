import fs from 'node:fs';
import type { Page } from 'playwright-core';
import type { AxeResults, Result } from 'axe-core';

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BLOCKING_IMPACTS = new Set(['serious', 'critical']);

/**
 * Runs axe-core inside the page. It is evaluated through the DevTools protocol rather than
 * added as a <script>, so the page's CSP (no inline script) stays on and is tested too.
 */
export async function auditAccessibility(page: Page): Promise<Result[]> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const results = (await page.evaluate(
    'window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }, resultTypes: ["violations"] })',
  )) as AxeResults;
  return results.violations.filter((violation) => BLOCKING_IMPACTS.has(violation.impact ?? ''));
}

/** One readable line per problem and element, for a failing assertion. */
export function describeViolations(violations: Result[]): string {
  return violations
    .flatMap((violation) => violation.nodes.map((node) =>
      `[${violation.impact}] ${violation.id}: ${violation.help} — ${node.target.join(' ')}\n    ${node.failureSummary ?? ''}`.trimEnd()))
    .join('\n');
}
