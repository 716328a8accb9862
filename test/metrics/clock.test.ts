import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/shared.js';
import { nowNs } from '../../src/metrics/clock.js';

describe('the clock (nowNs)', () => {
  it('is CLOCK_MONOTONIC in ns, the clock every process of the lab reads, and it moves forward', () => {
    const before = Number(process.hrtime.bigint());
    const t = nowNs();
    const after = Number(process.hrtime.bigint());
    expect(t).toBeGreaterThanOrEqual(before - 1000);
    expect(t).toBeLessThanOrEqual(after + 1000);
    let last = nowNs();
    for (let i = 0; i < 1000; i++) {
      const x = nowNs();
      expect(x).toBeGreaterThanOrEqual(last);
      last = x;
    }
  });

  it('allocates nothing per read (a spinning reader reads it millions of times a second)', () => {
    // Scavenges counted in a child with a small young generation: performance.now(), which boxes a
    // heap number per call, makes dozens over the same loop.
    const count = (expr: string) => {
      const script = `import { nowNs } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'metrics', 'clock.js')).href)};
        const spin = (n) => { let x = 0; for (let i = 0; i < n; i++) x += ${expr}; return x; };
        for (let k = 0; k < 20; k++) spin(1e4); // warm: the reader's loop runs optimised
        console.log('measure');
        if (spin(2e6) <= 0) process.exit(1);`;
      const out = execFileSync(process.execPath, ['--trace-gc', '--max-semi-space-size=1', '--input-type=module', '-e', script], { encoding: 'utf8' });
      return out.split('measure')[1].split('\n').filter((l) => l.includes('Scavenge')).length;
    };
    expect(count('performance.now()')).toBeGreaterThan(10);
    expect(count('nowNs()')).toBeLessThan(3);
  });
});
