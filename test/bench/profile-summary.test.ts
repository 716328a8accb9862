/**
 * The bench's account of where the NIC's time per packet goes, from a V8 CPU profile: self time
 * by function over the window in which the per-packet function was sampled, per packet sent.
 */
import { describe, expect, it } from 'vitest';
import { formatProfile, summarizeProfile, type CpuProfile } from '../../src/bench/profile-summary.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// root -> pump -> transmit -> writeStamped; root -> (idle); root -> (garbage collector)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('pump', 'file:///x/dist/nic/nic-process.js', 196), children: [3] },
    { id: 3, callFrame: frame('transmit', 'file:///x/dist/nic/nic-process.js', 290), children: [4] },
    { id: 4, callFrame: frame('writeStamped', 'file:///x/dist/nic/ring-writer.js', 55) },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  // Start-up idle, then the replay window (first to last sample under transmit), then idle again.
  samples: [5, 5, 3, 4, 4, 2, 6, 4, 3, 5, 5],
  // Each sample's time is the gap to the next one (µs).
  timeDeltas: [0, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100],
};

describe('NIC profile summary', () => {
  it('counts only the replay window, by self time, per packet', () => {
    const s = summarizeProfile(profile, 700, 'transmit', 2);
    // The window: samples 2..8, seven samples of 100 µs = 0.7 ms for 700 packets = 1,000 ns each.
    expect(s.windowMs).toBeCloseTo(0.7);
    expect(s.nsPerPacket).toBeCloseTo(1000);
    expect(s.rows.map((r) => [r.where, Math.round(r.nsPerPacket)])).toEqual([
      ['writeStamped@ring-writer.js:56', 429],
      ['transmit@nic-process.js:291', 286],
      ['(other)', 286],
    ]);
    expect(s.rows.reduce((a, r) => a + r.share, 0)).toBeCloseTo(1);
    expect(formatProfile('NIC', s)[1]).toMatch(/^\s+429 ns\s+42\.9%\s+writeStamped@ring-writer\.js:56$/);
  });

  it('with no sample in the per-packet function it says nothing per packet', () => {
    const s = summarizeProfile({ ...profile, samples: [5, 5, 6] }, 100, 'transmit');
    expect(s.rows).toEqual([]);
    expect(s.windowMs).toBe(0);
  });
});
