import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProc } from '../../src/metrics/proc-read.js';

describe('readProc: a /proc file into one reused buffer', () => {
  it('reads a procfs file whole (its size is 0 to stat), and says null for one that is not there', () => {
    const status = readProc('/proc/self/status');
    expect(status).toMatch(/^Name:\s/);
    expect(status).toMatch(/nonvoluntary_ctxt_switches:\s+\d+\n$/);
    expect(readProc('/proc/self/no-such-file')).toBeNull();
  });

  it('a file larger than any before grows the buffer and comes back byte for byte; a smaller one after it is not padded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlab-procread-'));
    try {
      const big = join(dir, 'big');
      const text = Array.from({ length: 5000 }, (_, i) => `${i} ${'x'.repeat(i % 50)}`).join('\n');
      writeFileSync(big, text, 'latin1');
      expect(text.length).toBeGreaterThan(64 << 10);
      expect(readProc(big)).toBe(text);
      const small = join(dir, 'small');
      writeFileSync(small, 'cpu  1 2 3\n');
      expect(readProc(small)).toBe('cpu  1 2 3\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
