/**
 * `mdlab calibrate`: measures this host, as the live lab runs on it, and writes a `host` cost
 * profile for model mode, each number with how it was measured. Uses the bench's bare probes
 * (pairs of processes over a shared-memory slot and ring, and over kernel UDP multicast) and
 * in-process loops for per-packet and per-message work. Run it on an idle host: what it measures
 * is what the model will assume.
 */
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dgramLatency, dgramThroughput, ringThroughput, shmLatency } from '../bench/floors.js';
import { decodeFrame, LINKTYPE_ETHERNET, newDatagram } from '../feed/frame.js';
import { openFeed } from '../feed/open-feed.js';
import { pullNext } from '../feed/feed-reader.js';
import { buildFrame, FRAME_OVERHEAD } from '../feed/pcap/writer.js';
import { measureSocketRoom } from '../kernel/socket-room.js';
import { nowNs } from '../metrics/clock.js';
import { decodeRate } from '../bench/micro.js';
import { COST_KEYS, type CostKey } from './profile.js';

export interface CalibrationStep {
  key: CostKey;
  value: number;
  source: string;
}

function procNumber(path: string): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/** The NIC's own work per packet, less its ring writes: read from the recording and frame it. */
async function nicWork(recording: string): Promise<{ perPacketNs: number; meanPayload: number }> {
  const frame = new Uint8Array(65536 + FRAME_OVERHEAD);
  const view = new DataView(frame.buffer);
  let packets = 0;
  let bytes = 0;
  const t = nowNs();
  for (let pass = 0; pass < 3; pass++) {
    const r = await openFeed(recording);
    try {
      while (await pullNext(r)) {
        const p = r.packet;
        buildFrame(frame, view, 0, p.srcAddr, p.srcPort, p.dstAddr, p.dstPort, packets & 0xffff, p.bytes, p.offset, p.length);
        packets++;
        bytes += p.length;
      }
    } finally {
      r.close();
    }
  }
  return { perPacketNs: (nowNs() - t) / packets, meanPayload: bytes / packets };
}

function parseCost(): number {
  const frame = new Uint8Array(200);
  const view = new DataView(frame.buffer);
  buildFrame(frame, view, 0, 0xc612000a, 26400, 0xef640101, 26400, 1, new Uint8Array(100), 0, 100);
  const d = newDatagram();
  const n = 2_000_000;
  const t = nowNs();
  for (let i = 0; i < n; i++) decodeFrame(LINKTYPE_ETHERNET, frame, view, 0, 142, d);
  return (nowNs() - t) / n;
}

function copyCost(): number {
  const a = Buffer.alloc(65536, 7);
  const b = Buffer.alloc(65536);
  const n = 20_000;
  const t = nowNs();
  for (let i = 0; i < n; i++) a.copy(b, 0, 0, 65536);
  return (nowNs() - t) / (n * 65536);
}

function spinCost(): number {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const n = 2_000_000;
  let seen = 0;
  const t = nowNs();
  for (let i = 0; i < n; i++) {
    seen += Atomics.load(cell, 0);
    if ((i & 63) === 0) nowNs();
  }
  return (nowNs() - t) / n + seen;
}

export interface Calibration {
  name: string;
  description: string;
  cores: number;
  costs: Record<CostKey, { value: number; source: string }>;
  host: Record<string, string | number>;
}

/** Measures every cost (seconds; `scale` below 1 shortens the probes, as the bench's tiny profile does); `log` reports progress. */
export async function calibrate(recording: string, log: (line: string) => void, scale = 1): Promise<Calibration> {
  const n = (x: number) => Math.max(1000, Math.round(x * scale));
  const at = `measured here by mdlab calibrate on ${new Date().toISOString().slice(0, 10)}`;
  const costs = {} as Calibration['costs'];
  const set = (key: CostKey, value: number, how: string) => {
    costs[key] = { value: Math.max(0, Math.round(value * 1000) / 1000), source: `${how} (${at})` };
    log(`  ${key} = ${costs[key].value}: ${how}`);
  };

  log('shared memory: one slot, and a ring at top speed (two processes)');
  const slot = await shmLatency(n(50_000), 20_000, 200e6 * scale);
  const ring = await ringThroughput(n(500_000), 100);
  const perSlot = ring.received && ring.elapsedNs ? ring.elapsedNs / ring.received : 200;
  set('dmaNs', slot.latency?.p50 ?? 300, 'one-way p50 through a bare shared-memory slot, writer to spinning reader');
  set('dmaIssueNs', perSlot / 2, 'half the time per packet of a bare shared-memory ring at top speed (the writer\'s share)');
  set('ringReadNs', perSlot / 2, 'half the time per packet of a bare shared-memory ring at top speed (the reader\'s share)');

  log('kernel UDP multicast on loopback: one-way latency and receive rate (two processes)');
  const dl = await dgramLatency(n(20_000), 200_000, 200e6 * scale);
  const dt = await dgramThroughput(n(100_000), 100);
  const oneWay = dl.latency?.p50 ?? 20_000;
  const perRecv = dt.received && dt.elapsedNs ? dt.elapsedNs / dt.received : 5000;
  set('recvmsgNs', perRecv / 2, 'half the time per datagram of a bare receiver at top speed (its recvmsg and callback)');
  set('kernelSendNs', perRecv / 2, 'half the time per datagram at top speed (the sender\'s send)');
  set('socketDeliverNs', perRecv / 4, 'a quarter of the time per datagram at top speed: the kernel queueing it to the socket');
  const wake = Math.max(0, oneWay - perRecv * 1.25);
  set('softirqNs', wake / 3, 'a third of the one-way p50 of bare kernel multicast less its send, queueing and receive');
  set('interruptNs', (2 * wake) / 3, 'two thirds of the one-way p50 of bare kernel multicast less its send, queueing and receive: the blocked receiver\'s wake-up');

  log('in process: the NIC\'s per-packet work, frame parsing, copies, spinning, ITCH decode and book');
  const nic = await nicWork(recording);
  set('nicPacketNs', nic.perPacketNs, 'reading the bundled recording and framing each packet, per packet');
  const parse = parseCost();
  set('stackParseNs', parse, 'parsing one Ethernet/IPv4/UDP frame (mdlab\'s frame decoder)');
  set('efviParseNs', parse, 'parsing one Ethernet/IPv4/UDP frame, as an ef_vi application does');
  set('copyNsPerByte', copyCost(), 'Buffer.copy of 64 KB, per byte');
  set('spinPollNs', spinCost(), 'one turn of a poll loop: an Atomics.load, a clock read every 64 turns');
  set('offloadRecvNs', perRecv / 2, 'as recvmsgNs: a read through the socket layer');
  set('decodeNsPerMessage', 1e9 / (await decodeRate(recording, 'decode')).messagesPerSecond, 'a subscriber\'s ITCH decode over the bundled recording, per message');
  set('bookNsPerMessage', 1e9 / (await decodeRate(recording, 'book')).messagesPerSecond, 'a subscriber\'s decode and order-book update over the bundled recording, per message');

  log('the kernel\'s own settings');
  const rmem = procNumber('/proc/sys/net/core/rmem_default') ?? 212992;
  set('defaultRcvbufBytes', rmem, 'net.core.rmem_default');
  const room = await measureSocketRoom(undefined, Math.round(nic.meanPayload));
  const truesize = room && room.datagrams > 0 ? room.grantedBytes / room.datagrams - room.payloadBytes : 768;
  set('truesizeOverheadBytes', truesize, `a default socket buffer filled with ${Math.round(nic.meanPayload)}-byte datagrams: what each was charged beyond its payload`);
  const gran = procNumber('/proc/sys/kernel/sched_min_granularity_ns') ?? procNumber('/sys/kernel/debug/sched/min_granularity_ns');
  set('schedSliceNs', gran !== null ? gran * 4 : 3e6, gran !== null ? 'four times sched_min_granularity_ns (CFS gives a runnable process that long at most)' : 'CFS\'s usual slice, ~3 ms (this kernel does not show sched_min_granularity_ns)');
  set('contextSwitchNs', Math.min(10_000, Math.max(1000, wake / 10)), 'a tenth of the wake-up measured above, at least 1 µs: the CPU a block and wake costs the process');

  for (const k of Object.keys(COST_KEYS) as CostKey[]) if (!costs[k]) throw new Error(`calibrate left ${k} unmeasured`);
  return {
    name: 'host',
    description: `this host as calibrate measured it: ${cpus().length} CPUs, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
    cores: cpus().length,
    costs,
    host: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', kernel: release(), node: process.version, measuredAt: new Date().toISOString() },
  };
}
