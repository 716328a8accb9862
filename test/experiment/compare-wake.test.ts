/**
 * compare on two runs whose readers sleep: when the fix (kernel → bypass) comes out slower and
 * the host's wake-up, measured on each side, grew by at least half the difference, a warning says
 * the wake-up decided it; where the wake-up does not explain it, compare claims nothing.
 */
import { describe, expect, it } from 'vitest';
import { compareResults } from '../../src/experiment/compare.js';
import type { LabSnapshot } from '../../src/experiment/snapshot.js';

const lat = (count: number, p50: number) => ({ total: { scheduled: { count, p50, p90: p50, p99: p50, p999: p50, max: p50 }, sent: { count, p50, p90: p50, p99: p50, p999: p50, max: p50 } } });
const none = lat(0, 0);
const wait = (p50: number) => ({ count: 1000, p50, p99: p50 * 2, max: p50 * 3 });

function run(path: 'kernel' | 'bypass', p50: number, waits: { kernel: number | null; doorbell: number | null }): LabSnapshot {
  const membership = { group: '239.100.1.1:26400', path, latency: { bypass: path === 'bypass' ? lat(500, p50) : none, kernel: path === 'kernel' ? lat(500, p50) : none, offload: none } };
  return {
    subscribers: [{ name: 'book1', waiting: 'interrupt-driven', memberships: [membership], socketWait: { kernel: waits.kernel === null ? null : wait(waits.kernel), doorbell: waits.doorbell === null ? null : wait(waits.doorbell) } }],
    events: [],
    totals: {},
    nic: { packets: 500, ringWrites: 0, kernelSends: 0 },
    groups: [],
  } as unknown as LabSnapshot;
}

describe('compare: the host\'s wake-up, when it decides a moved path\'s p50', () => {
  it('warns when the wake-up grew by at least half of what the fix lost', () => {
    const c = compareResults('trap', run('kernel', 50.8e3, { kernel: 45.1e3, doorbell: null }), 'shared', run('bypass', 64.7e3, { kernel: null, doorbell: 57.3e3 }));
    expect(c.latency[0]).toMatchObject({ path: 'main', moved: { from: 'kernel', to: 'bypass' } });
    expect(c.warnings.filter((w) => w.startsWith('book1:'))).toEqual(['book1: kernel → bypass is 13.9 µs slower at p50, but its reader sleeps on both sides: waking it took p50 45.1 µs in A (its kernel socket) and 57.3 µs in B (the NIC\'s doorbell): the host\'s wake-up, not the path, decides these p50s; spin (EF_POLL_USEC) to compare the paths themselves']);
  });

  it('says nothing where the wake-up does not explain it, the fix is faster, or a reader spins', () => {
    const notWake = compareResults('trap', run('kernel', 53.6e3, { kernel: 49.2e3, doorbell: null }), 'shared', run('bypass', 65.5e3, { kernel: null, doorbell: 41e3 }));
    expect(notWake.warnings.some((w) => w.startsWith('book1:'))).toBe(false);
    const faster = compareResults('trap', run('kernel', 50e3, { kernel: 45e3, doorbell: null }), 'shared', run('bypass', 2e3, { kernel: null, doorbell: null }));
    expect(faster.warnings.some((w) => w.startsWith('book1:'))).toBe(false);
  });
});
