import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A temporary folder for this test file, removed after it. */
export function tempDir(prefix = 'mdlab-test-'): { dir: string; file: (name: string, data?: Uint8Array | string) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    file(name, data) {
      const p = join(dir, name);
      if (data !== undefined) writeFileSync(p, data);
      return p;
    },
  };
}
