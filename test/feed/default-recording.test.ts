import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mdlab } from '../helpers/cli.js';
import { ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('the bundled default recording', () => {
  /** Runs the package script that makes `file`, writing elsewhere, and compares the bytes. */
  const regenerates = (script: string, file: string) => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const out = tmp.file(`regen-${file}`);
    const args = (pkg.scripts[script] as string).replace(/^node bin\/mdlab\.js /, '').replace(`recordings/${file}`, out).split(' ');
    const r = mdlab(args);
    expect(r.code, r.stderr).toBe(0);
    expect(sha(out)).toBe(sha(join(ROOT, 'recordings', file)));
  };

  it('is exactly what its documented command regenerates', () => regenerates('recording:default', 'default.pcap'));

  it('recordings/ab-lines.pcap (A/B lines) is exactly what its documented command regenerates', () => regenerates('recording:ab-lines', 'ab-lines.pcap'));

  it('is small, has 4 channels and an opening burst', () => {
    const bytes = readFileSync(join(ROOT, 'recordings', 'default.pcap')).length;
    expect(bytes).toBeLessThan(5 * 1024 * 1024);
    const s = JSON.parse(mdlab(['inspect', 'recordings/default.pcap', '--json']).stdout);
    expect(s.groups).toHaveLength(4);
    const peak = s.peakRate.find((p: { window: string }) => p.window === '100ms');
    expect(peak.messagesPerSecond).toBeGreaterThan(10 * 2000);
    expect(peak.messagesPeakAtMs).toBeGreaterThan(1000);
  });
});
