/**
 * The bench's bare probes: the floor under each of mdlab's paths, with none of mdlab's code in
 * the measured path. Only the instruments are shared with the lab: the clock (nowNs), the
 * shared-memory mapping and CPU pinning primitives. Each probe is a process of its own, as the
 * lab's NIC and subscribers are, pinned the same way (producer off the consumer's core).
 */
import dgram from 'node:dgram';
import { nowNs } from '../metrics/clock.js';
import { openSegment, setAffinity } from '../shm/segment.js';
import { latencyOf } from './stats.js';
import { DATA, RING_SLOT_BYTES, RING_SLOTS, TIMES, W_CONSUMER, W_PRODUCER, type FromProbe, type ProbeSetup, type ToProbe } from './probe-protocol.js';

/** A consumer gives up after this long without its last packet. */
const GIVE_UP_NS = 5e9;
/** Senders return to the event loop this often, as the lab's NIC does. */
const BURST_NS = 1e6;

function send(msg: FromProbe): void {
  process.send?.(msg);
}

let setup: ProbeSetup;
let socket: dgram.Socket | null = null;

function shm(): { i32: Int32Array; f64: Float64Array; bytes: Buffer } {
  // Prefaulted as the lab's rings are (EF_PREFAULT_PACKETS): the floor and the lab on one footing.
  const buf = openSegment(setup.segment ?? '', true);
  return { i32: new Int32Array(buf), f64: new Float64Array(buf), bytes: Buffer.from(buf) };
}

/** Spins until `due`, the way a paced sender does. */
function spinTo(due: number): number {
  let now = nowNs();
  while (now < due) now = nowNs();
  return now;
}

function shmLatencyProducer(startNs: number): void {
  const { i32, f64 } = shm();
  const t0 = DATA >> 3;
  for (let i = 1; i <= setup.count; i++) {
    f64[t0 + (i & (TIMES - 1))] = spinTo(startNs + i * setup.intervalNs);
    Atomics.store(i32, W_PRODUCER, i);
  }
  send({ type: 'result' });
}

function shmLatencyConsumer(): void {
  const { i32, f64 } = shm();
  const t0 = DATA >> 3;
  const samples = new Float64Array(setup.count);
  let n = 0;
  let last = 0;
  let missed = 0;
  let lastProgress = nowNs();
  let warmEnd = Infinity;
  while (last < setup.count) {
    const seq = Atomics.load(i32, W_PRODUCER);
    const now = nowNs();
    if (seq === last) {
      if (now - lastProgress > GIVE_UP_NS) break;
      continue;
    }
    if (last === 0) warmEnd = now + setup.warmupNs;
    if (now >= warmEnd) {
      // Every packet published since the last look is measured, not only the newest: one the
      // consumer was too late to see (off its CPU) waited until now, as in the lab's ring, whose
      // reader takes every slot (no coordinated omission). Send times older than the ring holds
      // are gone: those packets are counted missed.
      const from = Math.max(last + 1, seq - TIMES + 1);
      missed += from - last - 1;
      for (let j = from; j <= seq; j++) samples[n++] = now - f64[t0 + (j & (TIMES - 1))];
    }
    last = seq;
    lastProgress = now;
  }
  send({ type: 'result', latency: latencyOf(samples, n), missed });
}

function ringProducer(): void {
  const { i32, bytes } = shm();
  const packet = Buffer.alloc(setup.packetBytes, 0x41);
  let consumer = 0;
  for (let i = 1; i <= setup.count; i++) {
    while (i - consumer > RING_SLOTS) consumer = Atomics.load(i32, W_CONSUMER);
    const base = DATA + ((i - 1) & (RING_SLOTS - 1)) * RING_SLOT_BYTES;
    packet.writeUInt32LE(i, 0);
    bytes.writeUInt16LE(packet.length, base);
    packet.copy(bytes, base + 8, 0, packet.length);
    Atomics.store(i32, W_PRODUCER, i);
  }
  send({ type: 'result' });
}

function ringConsumer(): void {
  const { i32, bytes } = shm();
  const app = Buffer.alloc(RING_SLOT_BYTES);
  let last = 0;
  let first = 0;
  let end = 0;
  let lastProgress = nowNs();
  while (last < setup.count) {
    const p = Atomics.load(i32, W_PRODUCER);
    if (p === last) {
      if (nowNs() - lastProgress > GIVE_UP_NS) break;
      continue;
    }
    while (last < p) {
      const base = DATA + (last & (RING_SLOTS - 1)) * RING_SLOT_BYTES;
      const len = bytes.readUInt16LE(base);
      bytes.copy(app, 0, base + 8, base + 8 + len);
      last++;
    }
    Atomics.store(i32, W_CONSUMER, last);
    end = lastProgress = nowNs();
    if (first === 0) first = end;
  }
  send({ type: 'result', received: last, elapsedNs: end - first });
}

async function openSender(): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4' });
  await new Promise<void>((resolve) => s.bind({ port: 0, address: '127.0.0.1' }, resolve));
  s.setMulticastInterface('127.0.0.1');
  s.setMulticastTTL(0);
  s.setMulticastLoopback(true);
  await new Promise<void>((resolve) => s.connect(setup.port ?? 0, setup.group ?? '', resolve));
  return s;
}

async function openReceiver(): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: 8 << 20 });
  await new Promise<void>((resolve) => s.bind({ port: setup.port ?? 0, address: setup.group ?? '', exclusive: false }, resolve));
  s.addMembership(setup.group ?? '', '127.0.0.1');
  return s;
}

/** Paced sends (latency) or as fast as the socket takes them (rate), yielding every BURST_NS. */
function sender(startNs: number, paced: boolean): void {
  const s = socket as dgram.Socket;
  const bufs = Array.from({ length: 256 }, () => Buffer.alloc(Math.max(64, setup.packetBytes)));
  let i = 1;
  const burst = (): void => {
    const until = nowNs() + BURST_NS;
    while (i <= setup.count) {
      const b = bufs[i & 255];
      const now = paced ? spinTo(startNs + i * setup.intervalNs) : nowNs();
      b.writeUInt32LE(i, 0);
      b.writeDoubleLE(now, 8);
      s.send(b, 0, b.length);
      i++;
      if (now > until) return void setImmediate(burst);
    }
    setTimeout(() => send({ type: 'result' }), 50);
  };
  const wait = startNs - nowNs();
  setTimeout(burst, Math.max(0, wait / 1e6 - 1));
}

function receiver(latency: boolean): void {
  const s = socket as dgram.Socket;
  const samples = new Float64Array(latency ? setup.count : 1);
  let n = 0;
  let last = 0;
  let missed = 0;
  let first = 0;
  let end = 0;
  let received = 0;
  let warmEnd = Infinity;
  const finish = (): void => {
    clearInterval(watchdog);
    s.close();
    if (latency) send({ type: 'result', latency: latencyOf(samples, n), missed });
    else send({ type: 'result', received, elapsedNs: end - first, missed: setup.count - received });
  };
  s.on('message', (b: Buffer) => {
    const now = nowNs();
    const seq = b.readUInt32LE(0);
    received++;
    if (first === 0) {
      first = now;
      warmEnd = now + setup.warmupNs;
    }
    end = now;
    if (latency) {
      if (now >= warmEnd) samples[n++] = now - b.readDoubleLE(8);
      if (seq > last + 1) missed += seq - last - 1;
    }
    last = seq;
    if (seq >= setup.count) finish();
  });
  // The last datagram may be the one lost: stop when nothing has come for a while.
  let seen = -1;
  const watchdog = setInterval(() => {
    if (received === seen && received > 0) finish();
    seen = received;
  }, 500);
}

async function onSetup(msg: ProbeSetup): Promise<void> {
  setup = msg;
  if (msg.cpu !== null) setAffinity([msg.cpu]);
  if (msg.role === 'dgram-latency-sender' || msg.role === 'dgram-rate-sender') socket = await openSender();
  if (msg.role === 'dgram-latency-receiver' || msg.role === 'dgram-rate-receiver') socket = await openReceiver();
  send({ type: 'ready' });
}

function onGo(startNs: number): void {
  switch (setup.role) {
    case 'shm-latency-producer': return shmLatencyProducer(startNs);
    case 'shm-latency-consumer': return shmLatencyConsumer();
    case 'ring-producer': return ringProducer();
    case 'ring-consumer': return ringConsumer();
    case 'dgram-latency-sender': return sender(startNs, true);
    case 'dgram-rate-sender': return sender(startNs, false);
    case 'dgram-latency-receiver': return receiver(true);
    case 'dgram-rate-receiver': return receiver(false);
  }
}

process.on('message', (msg: ToProbe) => {
  try {
    if (msg.type === 'setup') onSetup(msg).catch((e: unknown) => send({ type: 'error', message: String(e) }));
    else if (msg.type === 'go') setImmediate(() => onGo(msg.startNs));
    else process.exit(0);
  } catch (e) {
    send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
process.on('disconnect', () => process.exit(0));
