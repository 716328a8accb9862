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

function synth(name: string, channels = 2): string {
  const f = tmp.file(name);
  const r = mdlab(['synth', '--seed', '11', '--duration', '1s', '--rate', '2000', '--symbols', '40', '--channels', String(channels), '--group-base', '239.200.1.1', '--port', '26500', '--out', f]);
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
async function recording(out: string, duration: string, extra: string[] = [], groups = 2): Promise<{ done: Promise<number | null>; output: () => { stdout: string; stderr: string } }> {
  const args = Array.from({ length: groups }, (_, i) => ['--group', `239.200.1.${i + 1}:26500`]).flat();
  const child = spawn(process.execPath, [MDLAB, 'record', ...args, '--out', out, '--duration', duration, ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
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
  return { done, output: () => ({ stdout, stderr }) };
}

/** (group, sequence) of every data packet, in file order, with its wire time. */
function packetOrder(file: string): { key: string; sec: number; nsec: number }[] {
  const r = spawnSync(process.execPath, [MDLAB, 'decode', file, '--json', '--quiet'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20 });
  expect(r.status, r.stderr).toBe(0);
  const out: { key: string; sec: number; nsec: number }[] = [];
  let last = -1;
  for (const line of r.stdout.trim().split('\n')) {
    const packet = Number(/"packet":(\d+)/.exec(line)![1]);
    if (packet === last) continue;
    last = packet;
    const ns = BigInt(/"wireTimeNs":(\d+)/.exec(line)![1]);
    out.push({ key: `${/"group":"([^"]+)"/.exec(line)![1]}#${/"sequence":(\d+)/.exec(line)![1]}`, sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) });
  }
  return out;
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
    const { done } = await recording(out, '2s');
    const t = spawnSync('tcpreplay', ['-i', 'lo', '--mbps', '20', feed], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    expect(await done).toBe(0);
    expect(sessions(out)).toEqual(sessions(feed));
  });

  it.skipIf(!HAS_TCPREPLAY)(`tcpreplay --topspeed of 4 groups: written in wire order with kernel times, losses counted exactly when the buffer is small${HAS_TCPREPLAY ? '' : ' [skipped: tcpreplay is not installed; .ci/run installs it]'}`, async () => {
    const feed = synth('four.pcap', 4);
    const sent = packetOrder(feed);
    for (const [rcvbuf, name] of [['4194304', 'roomy'], ['4096', 'small']] as const) {
      const out = tmp.file(`${name}.pcap`);
      const rec = await recording(out, '1200ms', ['--rcvbuf', rcvbuf, '--json'], 4);
      const t = spawnSync('tcpreplay', ['-i', 'lo', '--topspeed', feed], { encoding: 'utf8' });
      expect(t.status, t.stderr).toBe(0);
      expect(t.stdout).toContain(`Successful packets:        ${sent.length}`);
      expect(await rec.done).toBe(0);
      const s = JSON.parse(rec.output().stdout);
      const got = packetOrder(out);
      // Every packet sent is in the file or counted lost, per group.
      expect(s.packets + s.drops, name).toBe(sent.length);
      expect(got).toHaveLength(s.packets);
      for (const [g, n] of Object.entries(s.byGroup as Record<string, { packets: number; drops: number }>)) {
        expect(n.packets + n.drops, g).toBe(sent.filter((x) => x.key.startsWith(`${g}#`)).length);
      }
      // Wire order: what was captured is the sent order with the lost ones left out, times never running backwards.
      const keep = new Set(got.map((x) => x.key));
      expect(got.map((x) => x.key)).toEqual(sent.filter((x) => keep.has(x.key)).map((x) => x.key));
      expect(s.outOfOrder).toBe(0);
      for (let i = 1; i < got.length; i++) expect(got[i].sec * 1e9 + got[i].nsec >= got[i - 1].sec * 1e9 + got[i - 1].nsec - 1e3).toBe(true);
      expect(s.timestamps).toBe('kernel');
      if (name === 'small') {
        expect(s.drops).toBeGreaterThan(0);
        expect(rec.output().stderr).toMatch(/mdlab: lost [\d,]+ datagrams: the socket buffer overflowed \([\d,]+ bytes granted\); raise --rcvbuf/);
      }
    }
  });

  it.skipIf(!HAS_TCPREPLAY)(`its own output replays with tcpreplay -i lo (the local source rewritten, and said so); --source leaves other senders out${HAS_TCPREPLAY ? '' : ' [skipped: tcpreplay is not installed; .ci/run installs it]'}`, async () => {
    const feed = synth('own.pcap');
    const first = tmp.file('own-first.pcap');
    const rec = await recording(first, '1500ms', ['--json']);
    expect(mdlab(['replay', feed, '--speed', '4']).code).toBe(0);
    expect(await rec.done).toBe(0);
    const s = JSON.parse(rec.output().stdout);
    expect(s.sourceRewritten).toMatchObject({ from: ['127.0.0.1'], to: '198.18.0.10', packets: s.packets });
    // tcpreplay of that capture reaches a second recorder, which keeps only tcpreplay's sender
    // while mdlab replay (from 127.0.0.1) sends to the same groups.
    const second = tmp.file('own-second.pcap');
    const rec2 = await recording(second, '2s', ['--json', '--source', '198.18.0.10']);
    const noise = spawn(process.execPath, [MDLAB, 'replay', feed, '--speed', '2'], { cwd: ROOT, stdio: 'ignore' });
    const t = spawnSync('tcpreplay', ['-i', 'lo', '--mbps', '20', first], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    await new Promise((res) => noise.on('exit', res));
    expect(await rec2.done).toBe(0);
    const s2 = JSON.parse(rec2.output().stdout);
    expect(s2.packets).toBe(s.packets);
    expect(s2.otherSources).toBeGreaterThan(0);
    expect(sessions(second)).toEqual(sessions(feed));
  });

  it('replay --json carries its pacing error; at top speed there is none to measure', () => {
    const feed = synth('pace.pcap');
    const paced = JSON.parse(mdlab(['replay', feed, '--speed', '2', '--json']).stdout);
    expect(paced.pacing).toMatchObject({ packets: paced.packets });
    expect(paced.pacing.p50Ns).toBeGreaterThan(0);
    expect(paced.pacing.p99Ns).toBeGreaterThanOrEqual(paced.pacing.p50Ns);
    expect(paced.pacing.maxNs).toBeGreaterThanOrEqual(paced.pacing.p99Ns * 0.999);
    expect(paced.pacing.worstLag.packet).toBeGreaterThan(0);
    expect(JSON.parse(mdlab(['replay', feed, '--topspeed', '--json']).stdout).pacing).toBeNull();
    expect(mdlab(['replay', feed, '--speed', '4']).stdout).toMatch(/pacing error \(actual minus scheduled send, [\d,]+ packets\): p50 [\d.,]+ µs, p99 [\d.,]+ µs, max [\d.,]+ µs; worst lag at packet/);
  });

  it('bad arguments get one clear line', () => {
    const r = mdlab(['record', '--group', '10.0.0.1:26500', '--out', tmp.file('x.pcap'), '--duration', '1s']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^mdlab: --group "10\.0\.0\.1:26500": 10\.0\.0\.1 is not a multicast address/);
    const src = mdlab(['record', '--group', '239.200.1.1:26500', '--out', tmp.file('x.pcap'), '--duration', '1s', '--source', 'localhost']);
    expect(src.stderr.trim()).toMatch(/^mdlab: --source "localhost": expected a sender's ADDRESS or ADDRESS:PORT/);
    const m = mdlab(['replay', tmp.file('missing.pcap')]);
    expect(m.stderr.trim()).toMatch(/missing\.pcap: no such file/);
  });
});
