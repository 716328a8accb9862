/**
 * Where a process's CPU went per packet, from a V8 CPU profile (.cpuprofile): self time by
 * function over the window in which `window` (the per-packet function) was sampled, divided by
 * the packets sent. Samples of a process taken off its CPU land on whatever ran last: a
 * contended repetition's summary is partly the host's.
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  /** function@file:line (line 1-based), or V8's own names: (garbage collector), (program), (idle). */
  where: string;
  nsPerPacket: number;
  share: number;
}

export interface ProfileSummary {
  windowMs: number;
  packets: number;
  nsPerPacket: number;
  rows: ProfileRow[];
}

function label(n: CpuProfileNode): string {
  const f = n.callFrame;
  const file = f.url.split('/').pop() ?? '';
  const name = f.functionName || '(anonymous)';
  return file ? `${name}@${file}:${f.lineNumber + 1}` : name;
}

/** The top `top` functions by self time in the window, the rest as "(other)". */
export function summarizeProfile(p: CpuProfile, packets: number, window: string, top = 8): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inWindow = (id: number): boolean => {
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) if (byId.get(x)?.callFrame.functionName === window) return true;
    return false;
  };
  let lo = p.samples.findIndex(inWindow);
  let hi = -1;
  for (let i = p.samples.length - 1; i >= 0 && lo >= 0; i--) {
    if (inWindow(p.samples[i])) {
      hi = i;
      break;
    }
  }
  if (lo < 0) lo = 0;
  const self = new Map<string, number>();
  let total = 0;
  for (let i = lo; i <= hi; i++) {
    // A sample's time is the gap to the next one.
    const us = p.timeDeltas[i + 1] ?? 0;
    const n = byId.get(p.samples[i]);
    if (!n) continue;
    const k = label(n);
    self.set(k, (self.get(k) ?? 0) + us);
    total += us;
  }
  const perPacket = (us: number): number => (packets > 0 ? (us * 1e3) / packets : NaN);
  const sorted = [...self].sort((a, b) => b[1] - a[1]);
  const rows = sorted.slice(0, top).map(([where, us]) => ({ where, nsPerPacket: perPacket(us), share: total > 0 ? us / total : 0 }));
  const rest = sorted.slice(top).reduce((a, [, us]) => a + us, 0);
  if (rest > 0) rows.push({ where: '(other)', nsPerPacket: perPacket(rest), share: rest / total });
  return { windowMs: total / 1e3, packets, nsPerPacket: perPacket(total), rows };
}

export function formatProfile(title: string, s: ProfileSummary): string[] {
  return [
    `${title}: ${s.packets.toLocaleString('en-US')} packets in a ${s.windowMs.toFixed(0)} ms replay window, ${s.nsPerPacket.toFixed(0)} ns per packet (sampled, so slower than the measured runs)`,
    ...s.rows.map((r) => `  ${r.nsPerPacket.toFixed(0).padStart(5)} ns  ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.where}`),
  ];
}
