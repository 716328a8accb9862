import { describe, expect, it } from 'vitest';
import { copyBytes, SMALL_COPY } from '../../src/shm/copy.js';

const view = (b: Buffer) => new DataView(b.buffer, b.byteOffset, b.length);

describe('copyBytes', () => {
  it('copies exactly [so, so+n) to dof, for every length and alignment around the small-copy path', () => {
    const src = Buffer.alloc(SMALL_COPY * 3);
    for (let i = 0; i < src.length; i++) src[i] = (i * 31 + 7) & 0xff;
    for (const n of [0, 1, 3, 4, 5, 41, 100, SMALL_COPY, SMALL_COPY + 1, 700]) {
      for (const so of [0, 1, 2, 3]) {
        // A Buffer that does not start at its ArrayBuffer's start (as pooled Buffers do).
        const backing = Buffer.alloc(SMALL_COPY * 4);
        const dst = backing.subarray(3);
        const dof = 5 + so;
        copyBytes(src, view(src), so, dst, view(dst), dof, n);
        expect(dst.subarray(dof, dof + n).equals(src.subarray(so, so + n))).toBe(true);
        expect(dst[dof - 1]).toBe(0);
        expect(dst[dof + n]).toBe(0);
      }
    }
  });
});
