/**
 * The report's word on an inverted lesson (bypass p50 above kernel p50): on a contended host the
 * host decided it; on a clean one, when the bypass readers sleep too, the wake-up both paths wait
 * for (measured in their sockets) is most of either figure, and the report says how much.
 */
import { describe, expect, it } from 'vitest';
import { healthLines, invertedLesson, wakeExplanation } from '../../src/experiment/health-report.js';
import type { LabSnapshot } from '../../src/experiment/snapshot.js';
import { UNMEASURED } from '../../src/metrics/host-health.js';

const summary = (count: number, p50: number) => ({ total: { sent: { count, p50 } } });
const none = summary(0, 0);

function snapshot(bypassP50: number, kernelP50: number, wait: { kernel: number; doorbell: number } | null, waiting = 'interrupt-driven'): LabSnapshot {
  const w = (p50: number) => ({ count: 100, p50, p99: p50 * 3, max: p50 * 9 });
  const sub = {
    name: 'book1',
    waiting,
    socketWait: wait && { kernel: w(wait.kernel), doorbell: w(wait.doorbell) },
    memberships: [
      { latency: { bypass: summary(500, bypassP50), kernel: none, offload: none } },
      { latency: { bypass: none, kernel: summary(500, kernelP50), offload: none } },
    ],
  };
  return { subscribers: [sub], host: { ...UNMEASURED, sampledMs: 4000 } } as unknown as LabSnapshot;
}

describe('an inverted lesson, explained', () => {
  it('on a clean host with sleeping readers: the wake-up, measured, and what each path costs without it', () => {
    const s = snapshot(30.1e3, 28.6e3, { kernel: 26.6e3, doorbell: 24.6e3 });
    const inv = invertedLesson(s);
    expect(inv).toEqual({ bypassP50: 30.1e3, kernelP50: 28.6e3 });
    expect(wakeExplanation(s, inv!)).toBe('its readers sleep between packets: a packet waited p50 26.6 µs in a kernel socket, and the NIC\'s doorbell 24.6 µs, before a reader woke to read it. That wait is this host waking a sleeping process, not either path; less the wake-ups, bypass costs about 5.5 µs and the kernel path 2.0 µs. Spin (EF_POLL_USEC) to see the paths apart, as Onload users do.');
    expect(healthLines(s).join('\n')).toContain('above the kernel path\'s (28.6 µs) on a clean host: its readers sleep between packets');
  });

  it('without the socket waits (a spinning bypass reader, dgram sockets) it points at the settings; no inversion, no sentence', () => {
    const s = snapshot(30.1e3, 28.6e3, null);
    expect(wakeExplanation(s, invertedLesson(s)!)).toBeNull();
    // A spinner's doorbell rang only after it stopped spinning: not its bypass packets' wait.
    const spinner = snapshot(30.1e3, 28.6e3, { kernel: 26.6e3, doorbell: 176e3 }, 'spinning (EF_POLL_USEC=100000)');
    expect(wakeExplanation(spinner, invertedLesson(spinner)!)).toBeNull();
    expect(healthLines(s).join('\n')).toContain('on a clean host: see the subscribers\' settings');
    expect(invertedLesson(snapshot(2e3, 28.6e3, null))).toBeNull();
    expect(healthLines(snapshot(2e3, 28.6e3, null)).join('\n')).not.toContain('above the kernel');
  });
});
