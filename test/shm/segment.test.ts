import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSegment, openSegment, segmentName, SHM_DIR, unlinkSegment } from '../../src/shm/segment.js';
import { ROOT } from '../helpers/shared.js';

const ADDON = join(ROOT, 'build', 'Release', 'mdlab_shm.node');
const SIZE = 32 << 20;
let made: string[] = [];

afterEach(() => {
  for (const n of made) unlinkSegment(n);
  made = [];
});

function newSegment(what: string): string {
  const name = segmentName(process.pid, `segtest-${what}-${Date.now()}`);
  createSegment(name, SIZE);
  made.push(name);
  return name;
}

/** How much of the segment a fresh process has resident after mapping it (RssShmem, bytes). */
function residentAfterOpen(name: string, prefault: boolean): number {
  const script = `
    const a = require(${JSON.stringify(ADDON)});
    const rss = () => Number(/RssShmem:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
    const before = rss();
    globalThis.keep = a.open(${JSON.stringify(`/${name}`)}, ${prefault});
    console.log(rss() - before);`;
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim());
}

describe('shared-memory segments (the addon\'s create and open)', () => {
  it('allocates a segment\'s memory when it is created (EF_PREALLOC_PACKETS), so that a full /dev/shm fails there and not with SIGBUS mid-run', () => {
    const name = newSegment('alloc');
    // A sparse tmpfs file has no blocks until written; fallocate gives it all of them.
    expect(statSync(join(SHM_DIR, name)).blocks * 512).toBeGreaterThanOrEqual(SIZE);
  });

  it('with prefault, maps every page into the opening process before it returns (EF_PREFAULT_PACKETS); without, none', () => {
    const name = newSegment('prefault');
    expect(residentAfterOpen(name, false)).toBeLessThan(SIZE / 8);
    expect(residentAfterOpen(name, true)).toBeGreaterThanOrEqual(SIZE);
  });

  it('keeps the contents: a prefaulted mapping reads what was written', () => {
    const name = newSegment('contents');
    const a = new Uint8Array(openSegment(name));
    a[0] = 7;
    a[SIZE - 1] = 9;
    const b = new Uint8Array(openSegment(name, true));
    expect([b[0], b[SIZE - 1], b[4096]]).toEqual([7, 9, 0]);
  });

  it('refuses a prefault that is not a boolean, in one line', () => {
    const name = newSegment('arg');
    const out = execFileSync(process.execPath, ['-e', `
      const a = require(${JSON.stringify(ADDON)});
      try { a.open(${JSON.stringify(`/${name}`)}, 1); console.log('ok'); } catch (e) { console.log(e.message); }`], { encoding: 'utf8' }).trim();
    expect(out).toBe('prefault must be true or false');
  });
});
