/**
 * A spinning subscriber (EF_POLL_USEC) between its poll loop and Node's event loop. Outcomes, not
 * timings: what it allocates shows in its garbage collections, counted by the process itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../src/experiment/lab.js';
import { config, G1, G2, leftovers } from '../helpers/lab.js';

afterEach(() => {
  expect(leftovers()).toEqual({ segments: [], processes: [] });
});

const spinner = (name: string, extra: Record<string, unknown> = {}) => ({ name, groups: [G1, G2], env: { EF_POLL_USEC: 100000 }, work: 'none', ...extra });

describe('a spinning subscriber', () => {
  it('that reads every socket from its poll loop yields to the event loop seldom, and so makes little garbage', async () => {
    // Each turn of the event loop costs an Immediate and its async context (~300 bytes): at a
    // turn every 20 µs that was ~15 MB/s, 8-16 scavenges a second in a 2 MB young generation.
    // Rings and the addon's kernel sockets need no turn; it yields once a millisecond.
    const seconds = 2;
    const s = await new Lab(config({ subscribers: [spinner('quotes')] }), { durationNs: seconds * 1e9 }).run();
    expect(s.state).toBe('done');
    const q = s.subscribers.find((x) => x.name === 'quotes')!;
    expect(q.spinning).toBe(true);
    expect(q.memberships.every((m) => m.account.delivered.bypass > 0 && m.account.balanced)).toBe(true);
    expect(q.gc).not.toBeNull();
    expect(q.gc!.minor, JSON.stringify(q.gc)).toBeLessThanOrEqual(3 * seconds);
  }, 60_000);

  it('whose kernel sockets are Node\'s dgram, heard only on the event loop, keeps yielding every 20 µs', async () => {
    // The same lab with kernelSocket: node: the turns, and their garbage, come back.
    const seconds = 2;
    const s = await new Lab(config({ subscribers: [spinner('quotes', { kernelSocket: 'node' })] }), { durationNs: seconds * 1e9 }).run();
    const q = s.subscribers.find((x) => x.name === 'quotes')!;
    expect(q.gc!.minor, JSON.stringify(q.gc)).toBeGreaterThan(4 * seconds);
  }, 60_000);
});
