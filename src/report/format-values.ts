/**
 * Number and duration formatting shared by the report, the status table and the terminal progress, so the same
 * trial reads the same everywhere.
 */

/** Decimals that show about four significant digits of `reference` (0.9712, 97.12, 9712). */
export function decimalsFor(reference: number): number {
  if (!Number.isFinite(reference) || reference === 0) return 4;
  const magnitude = Math.floor(Math.log10(Math.abs(reference)));
  return Math.min(8, Math.max(0, 3 - magnitude));
}

/** A metric value with about four significant digits. */
export function formatMetric(value: number | null | undefined, decimals?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  return value.toFixed(decimals ?? decimalsFor(value));
}

/** A signed difference, with the decimals of the value it is a difference of. */
export function formatDelta(delta: number | null | undefined, decimals: number): string {
  if (delta === null || delta === undefined || !Number.isFinite(delta)) return "";
  const text = Math.abs(delta).toFixed(decimals);
  if (Number(text) === 0) return `±${text}`;
  return `${delta < 0 ? "-" : "+"}${text}`;
}

/** A signed percentage, e.g. `-2.69%`. */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "";
  const percent = fraction * 100;
  const text = Math.abs(percent) >= 10 ? Math.abs(percent).toFixed(1) : Math.abs(percent).toFixed(2);
  return `${percent < 0 ? "-" : "+"}${text}%`;
}

/** `850ms`, `12.3s`, `5m 07s`, `2h 03m`. */
export function formatDuration(milliseconds: number | null | undefined): string {
  if (milliseconds === null || milliseconds === undefined || !Number.isFinite(milliseconds)) return "-";
  const ms = Math.max(0, milliseconds);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) {
    return `${Math.floor(totalSeconds / 60)}m ${String(totalSeconds % 60).padStart(2, "0")}s`;
  }
  const totalMinutes = Math.round(ms / 60_000);
  if (totalMinutes < 24 * 60) {
    return `${Math.floor(totalMinutes / 60)}h ${String(totalMinutes % 60).padStart(2, "0")}m`;
  }
  const totalHours = Math.round(ms / 3_600_000);
  return `${Math.floor(totalHours / 24)}d ${String(totalHours % 24).padStart(2, "0")}h`;
}

/** `950`, `12.3k`, `4.56M` tokens. */
export function formatTokens(tokens: number | null | undefined): string {
  if (tokens === null || tokens === undefined || !Number.isFinite(tokens)) return "-";
  if (tokens < 1000) return String(Math.round(tokens));
  if (tokens < 1_000_000) return `${(tokens / 1000).toFixed(1)}k`;
  return `${(tokens / 1_000_000).toFixed(2)}M`;
}

/** `$0.0123`, `$4.56`. Small costs keep more digits so a cheap trial does not read as free. */
export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return "-";
  return usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** Cuts `text` to `length` characters, ending in `…` when it was longer; newlines become spaces. */
export function truncate(text: string, length: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= length) return flat;
  return `${flat.slice(0, Math.max(0, length - 1)).trimEnd()}…`;
}
