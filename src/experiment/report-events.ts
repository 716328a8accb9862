/** Events and run times as the text report writes them. */
import { isPathEvent, type LabEvent } from './snapshot.js';

export function formatMs(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const a = Math.abs(ms);
  const m = Math.floor(a / 60000);
  const s = (a % 60000) / 1000;
  return `${sign}${m > 0 ? `${m}:${s.toFixed(3).padStart(6, '0')}` : `${s.toFixed(3)}s`}`;
}

export function formatEvent(e: LabEvent): string[] {
  if (!isPathEvent(e)) return [`  ${formatMs(e.atMs).padStart(9)}  ${e.kind}: ${e.message}`];
  const head = `  ${formatMs(e.atMs).padStart(9)}  ${e.group} ${e.from} → ${e.path}${e.cause ? `  ${e.cause}` : ''}`;
  const out = [head, `             ${e.message}`];
  if (e.fix) out.push(`             fix: ${e.fix}`);
  return out;
}

