import { MdlabError, quote } from '../errors.js';

/** Longer than any replay or wait mdlab has a use for; past it, figures lose their nanoseconds. */
export const MAX_DURATION_NS = 7 * 24 * 3600e9;

/** `500ms`, `3s`, `2m`, `1h` (DESIGN §8) → nanoseconds, at most `maxNs`. */
export function parseDuration(text: string, what = 'duration', maxNs = MAX_DURATION_NS): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(String(text).trim());
  if (!m) throw new MdlabError(`${what} ${quote(text)}: expected a number with a unit, for example 500ms, 3s or 2m`);
  const n = Number(m[1]);
  const unit: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const ns = Math.round(n * unit[m[2]]);
  if (ns <= 0) throw new MdlabError(`${what} ${quote(text)}: must be greater than zero`);
  if (!(ns <= maxNs)) throw new MdlabError(`${what} ${quote(text)}: at most ${formatDurationNs(maxNs)}`);
  return ns;
}

/** Microseconds to one decimal, with the unit: "45.1 µs" (the report's sentences). */
export function formatMicros(ns: number): string {
  return `${(ns / 1e3).toFixed(1)} µs`;
}

export function formatDurationNs(ns: number): string {
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)}µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)}ms`;
  if (ns < 3600e9 || ns % 3600e9 !== 0) return `${(ns / 1e9).toFixed(2)}s`;
  return `${ns / 3600e9}h`;
}
