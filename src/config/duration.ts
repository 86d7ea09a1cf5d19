const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses "90", "30s", "15m", "12h" or "7d" into whole seconds.
 * Returns undefined for anything else, so the caller can name the variable in its message.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,9})\s*([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = match[2] || 's';
  return amount * (UNIT_SECONDS[unit] ?? 1);
}
