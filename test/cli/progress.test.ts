/** Progress in a pipe or CI: a plain line every few seconds for a long headless run; --quiet silences it. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Progress } from '../../src/cli/progress.js';

describe('progress without a terminal', () => {
  afterEach(() => vi.restoreAllMocks());

  it('says nothing for the first 5 s, then a line every 5 s with the time taken and where the run is; quiet says nothing', () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
    const p = new Progress('point 2/16');
    const q = new Progress('point 3/16', true);
    for (let t = 0; t <= 12_000; t += 500) {
      now = 1_000_000 + t;
      p.update(`${(t / 1000).toFixed(1)} s · 2,000 pkt/s`, t / 20_000);
      q.update('x');
    }
    p.done();
    expect(lines).toEqual([
      'mdlab: point 2/16: 5 s elapsed 25% · 5.0 s · 2,000 pkt/s\n',
      'mdlab: point 2/16: 10 s elapsed 50% · 10.0 s · 2,000 pkt/s\n',
    ]);
  });
});
