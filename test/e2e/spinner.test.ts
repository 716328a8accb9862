/**
 * A spinning subscriber (EF_POLL_USEC) between its poll loop and Node's event loop. Outcomes, not
 * timings: what it allocates shows in its garbage collections, counted by the process itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../src/experiment/lab.js';
import { config, G1, G2, G3, leftovers } from '../helpers/lab.js';

const G4 = '239.100.1.4:26400';

afterEach(() => {
  expect(leftovers()).toEqual({ segments: [], processes: [] });
});

describe('garbage collections, counted per subscriber (gc.minor, gc.major, liveHeap)', () => {
  it('a spinner scavenges far more often than a reader that blocks: its turns of the event loop are its garbage', async () => {
    // Each turn (every 20 µs) is an Immediate and its async context: ~15 MB/s, a scavenge every
    // ~0.1 s in a 2 MB young generation. The blocked reader allocates per wake-up only.
    const seconds = 2;
    const s = await new Lab(config({
      subscribers: [
        { name: 'spinner', groups: [G1, G2], env: { EF_POLL_USEC: 100000, EF_NAME: 'a' }, work: 'none' },
        { name: 'sleeper', groups: [G3, G4], env: { EF_POLL_USEC: 0, EF_NAME: 'b' }, work: 'none' },
      ],
    }), { durationNs: seconds * 1e9 }).run();
    expect(s.state).toBe('done');
    const [spinner, sleeper] = ['spinner', 'sleeper'].map((n) => s.subscribers.find((x) => x.name === n)!);
    expect(spinner.spinning).toBe(true);
    for (const x of [spinner, sleeper]) expect(x.memberships.every((m) => m.account.delivered.bypass > 0 && m.account.balanced), x.name).toBe(true);
    expect(spinner.gc, 'counted from its first packet').not.toBeNull();
    expect(sleeper.gc).not.toBeNull();
    expect(spinner.gc!.minor, JSON.stringify([spinner.gc, sleeper.gc])).toBeGreaterThan(2 * seconds);
    expect(spinner.gc!.minor, JSON.stringify([spinner.gc, sleeper.gc])).toBeGreaterThan(3 * sleeper.gc!.minor);
    // Every full GC since the first packet left its live heap in the result.
    for (const x of [spinner, sleeper]) {
      expect(x.liveHeap?.length, x.name).toBe(x.gc!.major);
      for (const h of x.liveHeap ?? []) expect(h.bytes).toBeGreaterThan(1 << 20);
    }
  }, 60_000);
});
