/**
 * `mdlab replay` and `mdlab record` through the real kernel on loopback, and interop with
 * tcpreplay: what `tcpreplay -i lo` sends from an mdlab recording, `mdlab record` captures.
 * Groups on their own port (26500), so labs in other test files do not cross them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mdlab } from '../helpers/cli.js';
import { MDLAB, ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const HAS_TCPREPLAY = spawnSync('tcpreplay', ['-V']).status === 0;

function synth(name: string): string {
  const f = tmp.file(name);
  const r = mdlab(['synth', '--seed', '11', '--duration', '1s', '--rate', '2000', '--symbols', '40', '--channels', '2', '--group-base', '239.200.1.1', '--port', '26500', '--out', f]);
  expect(r.code, r.stderr).toBe(0);
  return f;
}

function sessions(file: string): [string, number, number, number][] {
  const s = JSON.parse(mdlab(['inspect', file, '--json']).stdout);
  return s.sessions.map((x: { group: string; firstSequence: number; nextSequence: number; gaps: number }) => [x.group, x.firstSequence, x.nextSequence, x.gaps]);
}

/**
 * Starts `mdlab record` for the two groups and waits until it has joined them. The exit comes back
 * wrapped: an async function returning a promise would adopt it, and wait for the exit itself.
 */
async function recording(out: string, duration: string): Promise<{ done: Promise<number | null> }> {
  const child = spawn(process.execPath, [MDLAB, 'record', '--group', '239.200.1.1:26500', '--group', '239.200.1.2:26500', '--out', out, '--duration', duration], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const done = new Promise<number | null>((resolve) => child.on('exit', resolve));
  // It says when it has joined the groups: from then on it captures.
  await new Promise<void>((resolve) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      if (/mdlab: recording /.test(err)) resolve();
    });
    child.on('exit', () => resolve());
  });
  return { done };
}

describe('replay and record on loopback', () => {
  it('what mdlab replay sends, mdlab record captures: every packet, every session, no gap', async () => {
    const feed = synth('feed.pcap');
    const out = tmp.file('captured.pcap');
    const { done } = await recording(out, '3s');
    const r = mdlab(['replay', feed, '--speed', '4', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.loops).toBe(1);
    expect([...summary.groups].sort()).toEqual(['239.200.1.1:26500', '239.200.1.2:26500']);
    expect(await done).toBe(0);
    expect(sessions(out)).toEqual(sessions(feed));
  });

  it('--loop plays the recording again', async () => {
    const feed = synth('loop.pcap');
    const once = JSON.parse(mdlab(['inspect', feed, '--json']).stdout).packets;
    const r = mdlab(['replay', feed, '--topspeed', '--loop', '2', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ loops: 2, packets: 2 * once });
  });

  it.skipIf(!HAS_TCPREPLAY)(`captures what tcpreplay -i lo sends from an mdlab recording${HAS_TCPREPLAY ? '' : ' [skipped: tcpreplay is not installed; .ci/run installs it]'}`, async () => {
    const feed = synth('for-tcpreplay.pcap');
    const out = tmp.file('from-tcpreplay.pcap');
    const { done } = await recording(out, '3s');
    const t = spawnSync('tcpreplay', ['-i', 'lo', '--mbps', '20', feed], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    expect(await done).toBe(0);
    expect(sessions(out)).toEqual(sessions(feed));
  });

  it('bad arguments get one clear line', () => {
    const r = mdlab(['record', '--group', '10.0.0.1:26500', '--out', tmp.file('x.pcap'), '--duration', '1s']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^mdlab: --group "10\.0\.0\.1:26500": 10\.0\.0\.1 is not a multicast address/);
    const m = mdlab(['replay', tmp.file('missing.pcap')]);
    expect(m.stderr.trim()).toMatch(/missing\.pcap: no such file/);
  });
});
