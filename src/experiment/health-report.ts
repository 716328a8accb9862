/**
 * Host health in words, for the report's first lines and compare: the verdict, its reasons, and,
 * when the lesson came out inverted (bypass slower than kernel) in a contended run, that the host
 * decided it, not the path. Pure.
 */
import { formatMicros } from '../metrics/duration.js';
import { healthBadge, type HostHealth } from '../metrics/host-health.js';
import { wakeOf } from './overheads.js';
import type { LabSnapshot } from './snapshot.js';

/** The median p50 (from the NIC's send) over the memberships that read by `path`, or null. */
function pathP50(s: LabSnapshot, path: 'bypass' | 'kernel'): number | null {
  const xs = s.subscribers.flatMap((sub) => sub.memberships.map((m) => m.latency[path].total.sent)).filter((l) => l.count > 0).map((l) => l.p50).sort((a, b) => a - b);
  return xs.length === 0 ? null : xs[Math.floor(xs.length / 2)];
}

/** Bypass slower than the kernel: the opposite of what the hardware does. */
export function invertedLesson(s: LabSnapshot): { bypassP50: number; kernelP50: number } | null {
  const b = pathP50(s, 'bypass');
  const k = pathP50(s, 'kernel');
  return b !== null && k !== null && b > k ? { bypassP50: b, kernelP50: k } : null;
}

/** The median over subscribers of the wake-up p50 their packets on `path` waited for, or null. */
function wakeP50(s: LabSnapshot, path: 'kernel' | 'bypass'): number | null {
  const xs = s.subscribers.map((sub) => wakeOf(sub, path)?.p50).filter((x): x is number => x !== undefined && x > 0).sort((a, b) => a - b);
  return xs.length === 0 ? null : xs[Math.floor(xs.length / 2)];
}

/**
 * Why an inverted lesson on a clean host: when the bypass readers sleep too, both paths' p50 is
 * mostly the host waking a sleeping process (measured: the kernel's stamp on the datagram, or on
 * the NIC's doorbell, to the read), which a C program pays as well; the paths differ by less.
 */
export function wakeExplanation(s: LabSnapshot, inv: { bypassP50: number; kernelP50: number }): string | null {
  const k = wakeP50(s, 'kernel');
  const d = wakeP50(s, 'bypass');
  if (k === null || d === null) return null;
  const ownB = Math.max(0, inv.bypassP50 - d);
  const ownK = Math.max(0, inv.kernelP50 - k);
  return `its readers sleep between packets: a packet waited p50 ${formatMicros(k)} in a kernel socket, and the NIC's doorbell ${formatMicros(d)}, before a reader woke to read it. That wait is this host waking a sleeping process, not either path; less the wake-ups, bypass costs about ${formatMicros(ownB)} and the kernel path ${formatMicros(ownK)}. Spin (EF_POLL_USEC) to see the paths apart, as Onload users do.`;
}

export function healthLines(s: LabSnapshot): string[] {
  if (s.model) {
    return [`Model: virtual time, cost profile ${s.model.profile} (${s.model.cores} cores; ${s.model.description}): no host decided these figures, the profile's costs did (${s.model.profileFile})`];
  }
  const iso = s.isolation ? [`Isolation: ${s.isolation.kind === 'shared' ? 'none' : s.isolation.kind}: ${s.isolation.note}`] : [];
  return [...hostLines(s), ...iso];
}

function hostLines(s: LabSnapshot): string[] {
  const h: HostHealth | undefined = s.host;
  if (!h || h.sampledMs === 0) return ['Host: not measured (the replay did not start)'];
  const out = [`Host: ${healthBadge(h)}${h.verdict === 'clean' ? ': nothing on this host decided these figures' : ': these figures are partly the host\'s, not the paths\''}`];
  for (const r of h.reasons) out.push(`  - ${r}`);
  const inv = invertedLesson(s);
  if (inv && h.verdict === 'contended') {
    out.push(`  The bypass path's p50 (${formatMicros(inv.bypassP50)}) is above the kernel path's (${formatMicros(inv.kernelP50)}): the host decided that, not the path. Run on an idle host, with a core per spinning process.`);
  } else if (inv) {
    const wake = wakeExplanation(s, inv);
    out.push(`  The bypass path's p50 (${formatMicros(inv.bypassP50)}) is above the kernel path's (${formatMicros(inv.kernelP50)}) on a clean host: ${wake ?? 'see the subscribers\' settings (work, delay, waiting).'}`);
  }
  return out;
}
