/**
 * Runs the bare probes in pairs of processes (producer, consumer) and returns their figures.
 * The consumer is pinned to the last CPU and the producer to the first, as the bench's labs pin
 * their spinning subscriber and NIC, so floor and lab are measured on the same footing.
 */
import { cpus } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { forkChild } from '../experiment/children.js';
import { nowNs } from '../metrics/clock.js';
import { createSegment, segmentName, unlinkSegment } from '../shm/segment.js';
import { PROBE_SEGMENT_BYTES, type FromProbe, type ProbeResult, type ProbeRole, type ProbeSetup } from './probe-protocol.js';

/** The multicast group the dgram probes use (the lab's own groups are 239.100.1.x). */
const PROBE_GROUP = '239.100.9.1';
const PROBE_PORT = 26499;
const PROBE_TIMEOUT_MS = 120_000;
let probes = 0;

export interface PinPlan {
  producer: number | null;
  consumer: number | null;
}

export function pinPlan(): PinPlan {
  const n = cpus().length;
  return n >= 2 ? { producer: 0, consumer: n - 1 } : { producer: null, consumer: null };
}

class Probe {
  private readonly child: ChildProcess;
  private readonly stderr: () => string;
  private readonly waiting: ((m: FromProbe) => void)[] = [];

  constructor() {
    ({ child: this.child, stderr: this.stderr } = forkChild('bench/probe-child.js'));
    this.child.on('message', (m: FromProbe) => this.waiting.shift()?.(m));
    this.child.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w({ type: 'error', message: `probe exited (${code}): ${this.stderr().trim().split('\n').pop() ?? ''}` });
    });
  }

  /** The next message from the probe (an error rejects). */
  next(): Promise<FromProbe> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench probe timed out')), PROBE_TIMEOUT_MS);
      this.waiting.push((m) => {
        clearTimeout(timer);
        if (m.type === 'error') reject(new Error(m.message));
        else resolve(m);
      });
    });
  }

  send(m: ProbeSetup | { type: 'go'; startNs: number }): void {
    this.child.send(m);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** Runs one producer/consumer pair; returns the consumer's result. */
async function pair(producerRole: ProbeRole, consumerRole: ProbeRole, base: Omit<ProbeSetup, 'type' | 'role' | 'cpu'>): Promise<ProbeResult> {
  const pin = pinPlan();
  const consumer = new Probe();
  const producer = new Probe();
  try {
    consumer.send({ type: 'setup', role: consumerRole, cpu: pin.consumer, ...base });
    producer.send({ type: 'setup', role: producerRole, cpu: pin.producer, ...base });
    await Promise.all([consumer.next(), producer.next()]);
    const startNs = nowNs() + 50e6;
    const result = consumer.next();
    consumer.send({ type: 'go', startNs });
    producer.send({ type: 'go', startNs });
    const r = (await result) as ProbeResult;
    return r;
  } finally {
    consumer.kill();
    producer.kill();
  }
}

async function withSegment<T>(fn: (name: string) => Promise<T>): Promise<T> {
  const name = segmentName(process.pid, `bench.probe${++probes}`);
  createSegment(name, PROBE_SEGMENT_BYTES);
  try {
    return await fn(name);
  } finally {
    unlinkSegment(name);
  }
}

const dgramBase = { group: PROBE_GROUP, port: PROBE_PORT };

/** One-way latency through a shared-memory slot between two spinning processes, paced. */
export function shmLatency(count: number, intervalNs: number, warmupNs: number): Promise<ProbeResult> {
  return withSegment((segment) => pair('shm-latency-producer', 'shm-latency-consumer', { segment, count, intervalNs, packetBytes: 0, warmupNs }));
}

/** Throughput of a bare single-producer single-consumer ring of packet-sized copies. */
export function ringThroughput(count: number, packetBytes: number): Promise<ProbeResult> {
  return withSegment((segment) => pair('ring-producer', 'ring-consumer', { segment, count, intervalNs: 0, packetBytes, warmupNs: 0 }));
}

/** One-way latency of Node dgram multicast on loopback, paced. */
export function dgramLatency(count: number, intervalNs: number, warmupNs: number): Promise<ProbeResult> {
  return pair('dgram-latency-sender', 'dgram-latency-receiver', { ...dgramBase, count, intervalNs, packetBytes: 64, warmupNs });
}

/** Node dgram multicast receive rate, the sender as fast as it goes. */
export function dgramThroughput(count: number, packetBytes: number): Promise<ProbeResult> {
  return pair('dgram-rate-sender', 'dgram-rate-receiver', { ...dgramBase, count, intervalNs: 0, packetBytes, warmupNs: 0 });
}
