/** A subscriber's settings, as the config gives them (Onload's EF_* environment plus mdlab's own). */
import { readsRing, type ReceiveMode } from './receive-modes.js';
import type { Work } from './feed-handler.js';
import type { KernelReason } from '../onload/fallback.js';

export interface SubscriberSettings {
  name: string;
  /** false: a process not using Onload (plain kernel sockets: receive kernel). */
  onload: boolean;
  /** EF_NAME: processes with the same name share one stack; null: a stack of its own. */
  efName: string | null;
  /** EF_POLL_USEC: spin this long for data before blocking; 0 blocks at once. */
  pollUsec: number;
  /** EF_INT_DRIVEN=1: block at once, woken by interrupts. */
  intDriven: boolean;
  /** EF_DONT_ACCELERATE=1: sockets stay in the kernel. */
  dontAccelerate: boolean;
  /** EF_MCAST_RECV=0: multicast receive left to the kernel. */
  mcastRecv: boolean;
  groups: string[];
  receive: ReceiveMode;
  work: Work;
  /** Extra application work per packet (a slow reader), ns. */
  delayNs: number;
  /** Slots in its stack's ring (a power of two). */
  ring: number;
  /** SO_RCVBUF for its kernel sockets, bytes (undefined: the kernel's default). */
  rcvbuf: number | undefined;
  /** Pin the process to this CPU (and keep every other lab process off it), as isolcpus/taskset do. */
  cpu: number | null;
  /**
   * How its kernel sockets are read: `native` (the addon's socket, recvmmsg batches, as a C feed
   * handler reads) or `node` (Node's dgram, a Buffer and an event per datagram). Undefined: native.
   */
  kernelSocket?: KernelSocketKind;
}

export type KernelSocketKind = 'native' | 'node';
export const KERNEL_SOCKETS: readonly KernelSocketKind[] = ['native', 'node'];

/** Whether the subscriber spins (EF_POLL_USEC > 0 and not EF_INT_DRIVEN) on its Onload sockets. */
export function spins(s: SubscriberSettings): boolean {
  return s.onload && readsRing(s.receive) && !s.dontAccelerate && !s.intDriven && s.pollUsec > 0;
}

/** Why a subscriber's sockets stay on the kernel whatever the NIC does (null: it can be accelerated). */
export function kernelReason(s: SubscriberSettings): KernelReason {
  if (!s.onload) return 'not-onload';
  if (s.dontAccelerate) return 'not-accelerated';
  if (!s.mcastRecv) return 'mcast-recv-off';
  return null;
}

export function waitingName(s: SubscriberSettings): string {
  if (!s.onload) return 'kernel sockets';
  if (s.receive === 'offload') return 'blocking reads on the socket layer';
  if (s.dontAccelerate) return 'kernel (EF_DONT_ACCELERATE)';
  return spins(s) ? `spinning (EF_POLL_USEC=${s.pollUsec})` : 'interrupt-driven';
}
