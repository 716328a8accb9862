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
  it('is exactly what its documented command regenerates', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const script: string = pkg.scripts['recording:default'];
    const args = script.replace(/^node bin\/mdlab\.js /, '').replace('recordings/default.pcap', tmp.file('regen.pcap')).split(' ');
    const r = mdlab(args);
    expect(r.code, r.stderr).toBe(0);
    expect(sha(tmp.file('regen.pcap'))).toBe(sha(join(ROOT, 'recordings', 'default.pcap')));
  });

  it('recordings/ab-lines.pcap (A/B lines) is exactly what its documented command regenerates', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const script: string = pkg.scripts['recording:ab-lines'];
    const args = script.replace(/^node bin\/mdlab\.js /, '').replace('recordings/ab-lines.pcap', tmp.file('ab.pcap')).split(' ');
    const r = mdlab(args);
    expect(r.code, r.stderr).toBe(0);
    expect(sha(tmp.file('ab.pcap'))).toBe(sha(join(ROOT, 'recordings', 'ab-lines.pcap')));
  });

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
