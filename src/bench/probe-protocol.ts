/** Messages between the bench and its bare probe processes (IPC), and the probes' shared-memory layout. */

/** The probes' segment: producer seq at word 0, consumer seq at word 16 (its own cache line), data from byte 128. */
export const W_PRODUCER = 0;
export const W_CONSUMER = 16;
export const DATA = 128;
/**
 * Latency probe: send times by sequence, in a ring long enough (1.3 s at 100 k/s) that a
 * consumer back from the longest stall still finds the send time of every packet it missed.
 */
export const TIMES = 131072;
/** Throughput probe: slots of the bare ring. */
export const RING_SLOTS = 4096;
export const RING_SLOT_BYTES = 256;
export const PROBE_SEGMENT_BYTES = DATA + Math.max(TIMES * 8, RING_SLOTS * RING_SLOT_BYTES);

export type ProbeRole =
  | 'shm-latency-producer'
  | 'shm-latency-consumer'
  | 'ring-producer'
  | 'ring-consumer'
  | 'dgram-latency-sender'
  | 'dgram-latency-receiver'
  | 'dgram-rate-sender'
  | 'dgram-rate-receiver';

export interface ProbeSetup {
  type: 'setup';
  role: ProbeRole;
  /** Shared-memory segment (shm probes) or multicast group port (dgram probes). */
  segment?: string;
  group?: string;
  port?: number;
  count: number;
  /** Pacing interval (latency probes), ns. */
  intervalNs: number;
  /** Bytes per packet (throughput probes). */
  packetBytes: number;
  /** Latency consumers leave out samples from their first this many ns (warm-up, as sockperf does). */
  warmupNs: number;
  /** CPU to pin to (null: any). */
  cpu: number | null;
}

export type ToProbe = ProbeSetup | { type: 'go'; startNs: number } | { type: 'stop' };

export interface ProbeResult {
  type: 'result';
  /** Latency samples' summary (ns), for latency consumers. */
  latency?: { count: number; p50: number; p99: number; max: number };
  /** Packets received and the time they took, for throughput consumers. */
  received?: number;
  elapsedNs?: number;
  /** Packets the consumer saw skipped (latency probes: overwritten before read; dgram: lost). */
  missed?: number;
}

export type FromProbe = { type: 'ready' } | ProbeResult | { type: 'error'; message: string };
