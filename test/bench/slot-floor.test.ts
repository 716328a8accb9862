/**
 * The bare shared-memory slot, the floor the bypass path's latency is set beside, measures every
 * packet as the lab's ring reader does: a consumer that was off its CPU reads each packet it
 * missed at its late time (no coordinated omission), not only the newest.
 */
import { describe, expect, it } from 'vitest';
import { shmLatency } from '../../src/bench/floors.js';
import { childProcesses, sleep } from '../helpers/lab.js';

/** This process's probe children, oldest first (the pair forks its consumer first). */
const probes = (): number[] => childProcesses(/probe-child/).map((l) => Number(l.split(/\s+/)[0]));

describe('the bare shared-memory slot floor', () => {
  it('measures the packets its consumer could not read in time, at the time it read them', async () => {
    const count = 100_000;
    const intervalNs = 10_000; // 100 k/s: a second of packets
    const warmupNs = 100e6;
    const run = shmLatency(count, intervalNs, warmupNs);
    // Stop the consumer for 80 ms midway: ~8,000 packets are published while it cannot read.
    let consumer = 0;
    for (let i = 0; i < 100 && consumer === 0; i++) {
      await sleep(20);
      consumer = probes()[0] ?? 0;
    }
    expect(consumer, 'the consumer probe is running').toBeGreaterThan(0);
    await sleep(500);
    process.kill(consumer, 'SIGSTOP');
    await sleep(80);
    process.kill(consumer, 'SIGCONT');
    const r = await run;
    expect(r.missed).toBe(0);
    // Each packet after the warm-up is a sample: none was skipped for being stale.
    expect(r.latency!.count).toBeGreaterThan(count - warmupNs / intervalNs - 2000);
    // The packet published as it stopped waited the whole stop.
    expect(r.latency!.max).toBeGreaterThan(60e6);
    // Those that waited are more than 1% of all: they move p99.
    expect(r.latency!.p99).toBeGreaterThan(1e6);
  }, 30_000);
});
