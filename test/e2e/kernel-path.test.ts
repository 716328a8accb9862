/**
 * The lab's kernel path is its own and carries the exchange's bytes (DESIGN §11):
 * - inside the lab's network namespace, a capture of loopback (tshark where installed, a plain
 *   receiver otherwise) sees datagrams that are byte for byte the recording's UDP payloads, in
 *   order, to the recording's groups, and tshark decodes every one as MoldUDP64, none malformed;
 *   a payload it skipped must be one that dumpcap (its pcapng statistics, read by `mdlab inspect`)
 *   or the lab's own account says was dropped, bar a tap's rare miss on a busy host (1 in 500);
 * - `mdlab replay --topspeed --loop` on the same groups, outside, reaches none of its sockets.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab } from '../../src/experiment/lab.js';
import { openFeed } from '../../src/feed/open-feed.js';
import { formatGroup } from '../../src/feed/channels.js';
import { config, G1, G2, sleep } from '../helpers/lab.js';
import { MDLAB, ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const RECORDING = join(ROOT, 'recordings', 'default.pcap');
const HAS_TSHARK = spawnSync('sh', ['-c', 'command -v tshark']).status === 0;
const trap = () => config({ nic: { model: 'sfn6122f' }, subscribers: [{ name: 'book1', groups: [G1, G2], env: { EF_POLL_USEC: 0 } }, { name: 'book2', groups: [G1, G2], env: { EF_POLL_USEC: 0 } }] });

/** A capture's (by default the recording's) UDP payloads per group, in order, as hex. */
async function recorded(path = RECORDING): Promise<Map<string, string[]>> {
  const r = await openFeed(path);
  const out = new Map<string, string[]>();
  while (await r.next()) {
    const p = r.packet;
    const g = formatGroup(p.dstAddr, p.dstPort);
    out.set(g, [...(out.get(g) ?? []), Buffer.from(p.bytes.subarray(p.offset, p.offset + p.length)).toString('hex')]);
  }
  r.close();
  return out;
}

interface RunDoc {
  isolation: { kind: string; portOffset: number; note: string };
  host: { verdict: string; foreignDatagrams: number; reasons: string[] };
  totals: { balanced: boolean; kernel: number };
}

/** The trap config run through the CLI (MDLAB_ISOLATION as given) while `mdlab replay --topspeed --loop` sends the same recording outside. */
async function runBesideReplay(isolation: 'shared' | 'ports'): Promise<RunDoc> {
  const replay = spawn(process.execPath, [MDLAB, 'replay', RECORDING, '--topspeed', '--loop', '1000'], { cwd: ROOT, stdio: 'ignore' });
  const json = join(tmp.dir, `${isolation}.json`);
  try {
    await sleep(300);
    const r = spawnSync(process.execPath, [MDLAB, 'run', 'configs/ef-name-trap.yaml', '--headless', '--quiet', '--duration', '2s', '--json', json], { cwd: ROOT, env: { ...process.env, MDLAB_ISOLATION: isolation }, encoding: 'utf8' });
    expect(r.status, r.stderr).not.toBe(null);
    expect(replay.exitCode, 'the replay was running all along').toBe(null);
    return JSON.parse(readFileSync(json, 'utf8')) as RunDoc;
  } finally {
    replay.kill('SIGKILL');
  }
}

describe('the kernel path: the lab\'s own, and the exchange\'s bytes', () => {
  it(`a capture inside the lab's namespace sees the recording's exact payloads${HAS_TSHARK ? ' (tshark: every one valid MoldUDP64)' : ' [tshark not installed: a plain receiver instead, no dissector check]'}`, async () => {
    const lab = new Lab(trap(), { durationNs: 4e9 });
    const pcap = process.env.MDLAB_KEEP_CAPTURE ?? join(tmp.dir, 'inside.pcap');
    let capture: ReturnType<typeof spawn> | undefined;
    const received: string[] = [];
    const labLost = new Map<string, number>();
    try {
      await lab.start();
      const iso = lab.snapshot().isolation;
      if (iso.kind !== 'netns' && iso.kind !== 'userns') {
        // Said, not hidden: the capture inside a namespace needs one (util-linux, iproute2).
        process.stderr.write(`kernel-path capture skipped: ${iso.note}\n`);
        return;
      }
      const enter = ['nsenter', `--net=/proc/${iso.pid}/ns/net`, '--'];
      if (HAS_TSHARK) {
        capture = spawn(enter[0], [...enter.slice(1), 'tshark', '-i', 'lo', '-B', '64', '-f', 'udp port 26400', '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
        // tshark says so on stderr once it captures.
        let said = '';
        capture.stderr?.on('data', (d: Buffer) => (said += d.toString()));
        for (let i = 0; i < 100 && !/Capturing on/.test(said); i++) await sleep(50);
      } else {
        // A plain receiver joined to the group inside the namespace, as a feed handler would be.
        const script = `const d=require('dgram');const s=d.createSocket({type:'udp4',reuseAddr:true,recvBufferSize:8<<20});s.bind(26400,'239.100.1.1',()=>s.addMembership('239.100.1.1','127.0.0.1'));s.on('message',(m)=>process.stdout.write(m.toString('hex')+'\\n'));`;
        capture = spawn(enter[0], [...enter.slice(1), process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
        capture.stdout?.on('data', (d: Buffer) => received.push(...d.toString().split('\n').filter(Boolean)));
      }
      const fin = await lab.finish();
      // What the lab itself lost on each group's kernel path (a socket's or the host's backlog):
      // a capture on lo cannot see a datagram the host dropped before delivering it.
      for (const sub of fin.subscribers) {
        for (const m of sub.memberships) labLost.set(m.group, Math.max(labLost.get(m.group) ?? 0, m.account.dropped['oflow-drop'] ?? 0));
      }
      await sleep(500);
      capture?.kill('SIGINT');
      await new Promise((resolve) => (capture?.exitCode !== null ? resolve(null) : capture.once('exit', resolve)));
    } finally {
      capture?.kill('SIGKILL');
      await lab.teardown();
    }
    // tshark's dumpcap writes the file: give it a moment past tshark's own exit.
    await sleep(1000);
    const want = await recorded();
    if (HAS_TSHARK) {
      const fields = spawnSync('tshark', ['-r', pcap, '-d', 'udp.port==26400,moldudp64', '-T', 'fields', '-e', 'ip.dst', '-e', 'udp.payload', '-e', 'moldudp64.count', '-e', '_ws.malformed'], { encoding: 'utf8', maxBuffer: 256 << 20 });
      const rows = fields.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
      expect(rows.length).toBeGreaterThan(200);
      expect(rows.filter((r) => r[3]), 'malformed MoldUDP64').toEqual([]);
      expect(rows.filter((r) => !r[2]), 'datagrams tshark did not decode as MoldUDP64').toEqual([]);
      // dumpcap writes its own count of what it dropped (pcapng's interface statistics): mdlab
      // inspect reads it. On a busy host the capture can fall behind; what it dropped is not the lab's.
      const inspected = spawnSync(process.execPath, [MDLAB, 'inspect', pcap, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const stats = (JSON.parse(inspected.stdout) as { captureStats: { interface: string; received: number; droppedByInterface: number | null; droppedByOs: number | null }[] }).captureStats;
      expect(stats.map((x) => x.interface)).toEqual(['lo']);
      expect(stats[0].received).toBeGreaterThanOrEqual(rows.length);
      const captureDropped = (stats[0].droppedByInterface ?? 0) + (stats[0].droppedByOs ?? 0);
      for (const g of ['239.100.1.1', '239.100.1.2']) {
        const got = rows.filter((r) => r[0] === g).map((r) => r[1].replace(/:/g, ''));
        const all = want.get(`${g}:26400`)!;
        const at = all.indexOf(got[0]);
        expect(at, `${g}: the first captured payload is one of the recording's`).toBeGreaterThanOrEqual(0);
        // Every captured payload is the recording's next one, byte for byte; any it skipped were
        // dropped by the capture or by the host, as they counted.
        let next = at;
        const skipped: number[] = [];
        for (const payload of got) {
          const i = all.indexOf(payload, next);
          expect(i, `${g}: payload ${payload.slice(0, 60)}… is one of the recording's, in order`).toBeGreaterThanOrEqual(0);
          for (let k = next; k < i; k++) skipped.push(k);
          next = i + 1;
        }
        // On a busy host the tap on lo misses a datagram now and then that the lab's sockets did
        // receive, with dumpcap counting no drop (seen: 1 in ~4,000, and once 9 in a row of 7,098,
        // under three busy loops on 2 cores). So a few skips are allowed beyond what dumpcap and the
        // lab's account say was dropped: 1 in 500. A changed, foreign or reordered payload is not.
        const explained = captureDropped + (labLost.get(`${g}:26400`) ?? 0) + Math.floor(got.length / 500);
        expect(skipped.length, `${g}: ${skipped.length} of the recording's payloads missing from the capture (recording indexes ${skipped.slice(0, 10).join(', ')}), ${captureDropped} dropped by the capture, ${labLost.get(`${g}:26400`) ?? 0} lost by the lab`).toBeLessThanOrEqual(explained);
      }
    } else {
      const all = want.get(`${G1}`)!;
      expect(received.length).toBeGreaterThan(500);
      const at = all.indexOf(received[0]);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(received).toEqual(all.slice(at, at + received.length));
    }
  }, 90_000);

  it('mdlab replay at top speed on the same groups, outside, reaches none of the lab\'s sockets', async () => {
    const replay = spawn(process.execPath, [MDLAB, 'replay', RECORDING, '--topspeed', '--loop', '1000'], { cwd: ROOT, stdio: 'ignore' });
    try {
      await sleep(300);
      const lab = new Lab(trap(), { durationNs: 2e9 });
      const s = await lab.run();
      expect(s.isolation.kind).not.toBe('shared');
      expect(s.host.foreignDatagrams).toBe(0);
      for (const sub of s.subscribers) for (const m of sub.memberships) expect(m.account.balanced).toBe(true);
      expect(s.host.reasons.join(' ')).not.toMatch(/datagrams from outside/);
      expect(replay.exitCode, 'the replay was running all along').toBe(null);
    } finally {
      replay.kill('SIGKILL');
    }
  }, 90_000);

  it('on the host\'s loopback (MDLAB_ISOLATION=shared) the same replay does reach it, and the verdict says so', async () => {
    const doc = await runBesideReplay('shared');
    expect(doc.isolation.kind).toBe('shared');
    expect(doc.host.foreignDatagrams).toBeGreaterThan(0);
    expect(doc.host.verdict).toBe('contended');
    expect(doc.host.reasons.some((x) => /datagrams from outside the lab reached its sockets/.test(x))).toBe(true);
  }, 90_000);

  it('where no namespace can be made (MDLAB_ISOLATION=ports), a port base of the lab\'s own keeps the same replay out', async () => {
    const doc = await runBesideReplay('ports');
    expect(doc.isolation.kind).toBe('ports');
    expect(doc.isolation.portOffset).toBeGreaterThan(0);
    expect(doc.isolation.note).toContain(`26400 → ${26400 + doc.isolation.portOffset}`);
    expect(doc.host.foreignDatagrams).toBe(0);
    expect(doc.totals).toMatchObject({ balanced: true });
    expect(doc.totals.kernel).toBeGreaterThan(1000);
  }, 90_000);

  it('mdlab record --lab PID records the lab\'s kernel path from inside its namespace: its groups, the recording\'s payloads byte for byte, in order', async () => {
    const lab = new Lab(trap(), { durationNs: 4e9 });
    const pcap = join(tmp.dir, 'record-lab.pcap');
    let rec: { status: number | null; stdout: string; stderr: string } | undefined;
    try {
      await lab.start();
      const iso = lab.snapshot().isolation;
      if (iso.kind !== 'netns' && iso.kind !== 'userns') {
        process.stderr.write(`record --lab skipped: ${iso.note}\n`);
        return;
      }
      await sleep(200);
      // The registry says where the lab's kernel path runs: record enters it and joins the lab's groups.
      const child = spawn(process.execPath, [MDLAB, 'record', '--lab', String(process.pid), '--duration', '1500ms', '--out', pcap, '--json', '--keep-source'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      rec = { status: code, stdout: out, stderr: err };
    } finally {
      await lab.teardown();
    }
    expect(rec!.status, rec!.stderr).toBe(0);
    const summary = JSON.parse(rec!.stdout) as { packets: number; byGroup: Record<string, { packets: number }>; drops: number };
    expect(Object.keys(summary.byGroup).sort()).toEqual([G1, G2]);
    expect(summary.packets).toBeGreaterThan(200);
    expect(summary.drops).toBe(0);
    const want = await recorded();
    const got = await recorded(pcap);
    for (const g of [G1, G2]) {
      const xs = got.get(g)!;
      const all = want.get(g)!;
      const at = all.indexOf(xs[0]);
      expect(at, `${g}: the first recorded payload is one of the recording's`).toBeGreaterThanOrEqual(0);
      expect(xs, `${g}: byte-identical and in order`).toEqual(all.slice(at, at + xs.length));
    }
    // A pid that is no lab's: one line, exit 1.
    const none = spawnSync(process.execPath, [MDLAB, 'record', '--lab', '999999', '--duration', '1s', '--out', join(tmp.dir, 'none.pcap')], { cwd: ROOT, encoding: 'utf8' });
    expect(none.status).toBe(1);
    expect(none.stderr.trim()).toBe('mdlab: --lab 999999: no running lab with that pid (mdlab stackdump lists the running labs)');
  }, 90_000);
});
