/**
 * Receive modes (DESIGN §10): the paths of kernel-bypass history as modes of one mechanism. Each
 * removes a different subset of the three host overheads: copies, protocol (transport)
 * processing, context switches.
 *
 * - `kernel`: ordinary sockets; the kernel parses the headers and copies twice (into its socket
 *   buffer, then into the application); a system call per read, a wake-up when blocked.
 * - `offload` (NIC model `inic`): the NIC terminates UDP and hands payloads to the host through
 *   the socket layer (src/subscriber/offload-receive.ts): one copy, system calls remain.
 * - `onload`: Onload's recv(); the stack library in the process parses the frame in the ring
 *   and copies the payload into the application's buffer.
 * - `onload-zc`: onload_zc_recv(); the same parsing, and the application reads the payload in
 *   place in the ring (read-only), then releases it.
 * - `ef_vi`: raw frames in place; the application parses Ethernet/IPv4/UDP itself ("the
 *   application will have to take care of the network packet processing", ef_vi docs).
 *
 * The ring modes below are the SlotSinks the RingReader hands each slot to.
 */
import { decodeFrame, LINKTYPE_ETHERNET, newDatagram } from '../feed/frame.js';
import type { SlotSink } from '../onload/ring-reader.js';
import { SL_FRAME, SL_LENGTH, SL_SCHEDULED, SL_SENT, type StackSegment } from '../onload/stack-layout.js';
import { copyBytes } from '../shm/copy.js';
import { STAMP_SCHEDULED, STAMP_SENT } from '../metrics/stamps.js';
import { EfViApplication } from './ef-vi-app.js';

export type ReceiveMode = 'kernel' | 'offload' | 'onload' | 'onload-zc' | 'ef_vi';
export const RECEIVE_MODES: readonly ReceiveMode[] = ['kernel', 'offload', 'onload', 'onload-zc', 'ef_vi'];
/** Earlier names, still accepted in configs. */
export const RECEIVE_ALIASES: Readonly<Record<string, ReceiveMode>> = { copy: 'onload', 'zero-copy': 'onload-zc' };

/** Where protocol processing runs. */
export type ProtocolSite = 'kernel' | 'nic' | 'stack' | 'application';

/** What each mode is, by construction: the columns of the founding documents' picture. */
export interface ModeTraits {
  technology: string;
  /** Copies of each payload on the host. */
  hostCopies: number;
  copies: string;
  protocol: ProtocolSite;
  protocolText: string;
  switches: string;
  /** Other systems with the same mechanism (DESIGN §10). */
  relatives: string;
}

export const MODE_TRAITS: Readonly<Record<ReceiveMode, ModeTraits>> = {
  kernel: {
    technology: 'ordinary sockets', hostCopies: 2, copies: 'kernel buffer, then application', protocol: 'kernel', protocolText: 'host kernel',
    switches: 'a system call per read, a wake-up when blocked', relatives: 'Linux zero-copy work keeps its system calls',
  },
  offload: {
    technology: 'socket offload to an intelligent NIC (Intel iNIC, TOE)', hostCopies: 1, copies: 'payload into the application', protocol: 'nic', protocolText: 'on the NIC',
    switches: 'still through the socket layer', relatives: 'FPGA TCP/UDP offload engines',
  },
  onload: {
    technology: 'OpenOnload user-space stack (recv)', hostCopies: 1, copies: 'payload into the application', protocol: 'stack', protocolText: 'stack library in the process',
    switches: 'none while spinning', relatives: '',
  },
  'onload-zc': {
    technology: 'Onload zero-copy API (onload_zc_recv)', hostCopies: 0, copies: 'none: read in place', protocol: 'stack', protocolText: 'stack library in the process',
    switches: 'none while spinning', relatives: '',
  },
  ef_vi: {
    technology: 'Solarflare ef_vi raw virtual interface', hostCopies: 0, copies: 'none', protocol: 'application', protocolText: 'the application itself',
    switches: 'none while spinning', relatives: 'VIA, GM, FM, PM, ST, U-Net',
  },
};

/** Whether a mode reads frames from a stack's (or VI's) ring in shared memory. */
export function readsRing(mode: ReceiveMode): boolean {
  return mode === 'onload' || mode === 'onload-zc' || mode === 'ef_vi';
}

/** Where a delivered payload goes: the subscriber's per-membership delivery. */
export interface Delivery {
  /** The packet's times (metrics/stamps.ts), written by the mode before each deliver(). */
  readonly stamps: Float64Array;
  deliver(bytes: Buffer, view: DataView, off: number, len: number): void;
  /** A frame that could not be parsed (not UDP/IPv4), or not for this socket: counted, not delivered. */
  malformed(): void;
}

/** A ring mode: what it copied, and who parsed how many frames. */
export abstract class RingReceive implements SlotSink {
  /** Payload bytes this mode copied on the host (the NIC's DMA is not a host copy). */
  bytesCopied = 0;
  /** Frames the stack library parsed (onload modes) and the application parsed (ef_vi). */
  stackParsed = 0;
  appParsed = 0;

  constructor(protected readonly to: Delivery) {}

  /** The slot's times into the delivery's stamps (read before the slot's end is re-checked). */
  protected times(s: StackSegment, base: number): void {
    const st = this.to.stamps;
    st[STAMP_SCHEDULED] = s.f64[(base + SL_SCHEDULED) >> 3];
    st[STAMP_SENT] = s.f64[(base + SL_SENT) >> 3];
  }

  abstract accept(s: StackSegment, base: number): void;
  abstract deliver(s: StackSegment, base: number): void;
}

/** Onload's stack: parses Ethernet · IPv4 · UDP in the process, for both onload modes. */
abstract class StackReceive extends RingReceive {
  protected readonly dgram = newDatagram();
  protected ok = false;

  protected parse(s: StackSegment, base: number): void {
    const len = s.view.getUint16(base + SL_LENGTH, true);
    this.ok = decodeFrame(LINKTYPE_ETHERNET, s.bytes, s.view, base + SL_FRAME, len, this.dgram) === null;
    this.stackParsed++;
    this.times(s, base);
  }
}

/** `onload`: recv() copies the payload into the application's buffer before the slot can be reused. */
export class OnloadReceive extends StackReceive {
  private readonly app = Buffer.alloc(2048);
  private readonly appView = new DataView(this.app.buffer, this.app.byteOffset, this.app.byteLength);
  private length = 0;

  accept(s: StackSegment, base: number): void {
    this.parse(s, base);
    if (!this.ok) return;
    const d = this.dgram;
    this.length = Math.min(d.payloadLength, this.app.length);
    copyBytes(s.bytes, s.view, d.payloadOffset, this.app, this.appView, 0, this.length);
    this.bytesCopied += this.length;
  }

  deliver(): void {
    if (!this.ok) return this.to.malformed();
    this.to.deliver(this.app, this.appView, 0, this.length);
  }
}

/** `onload-zc`: the application reads the payload in place in the ring, then releases the slot. */
export class OnloadZcReceive extends StackReceive {
  accept(s: StackSegment, base: number): void {
    this.parse(s, base);
  }

  deliver(s: StackSegment): void {
    if (!this.ok) return this.to.malformed();
    this.to.deliver(s.bytes, s.view, this.dgram.payloadOffset, this.dgram.payloadLength);
  }
}

/** `ef_vi`: no stack: the raw frame, in place, goes to the application, which parses and filters it. */
export class EfViReceive extends RingReceive {
  private readonly app: EfViApplication;

  constructor(to: Delivery, group: number, port: number) {
    super(to);
    this.app = new EfViApplication(group, port, to);
  }

  accept(s: StackSegment, base: number): void {
    this.times(s, base);
  }

  deliver(s: StackSegment, base: number): void {
    this.appParsed++;
    this.app.onFrame(s.bytes, s.view, base + SL_FRAME, s.view.getUint16(base + SL_LENGTH, true));
  }

  get rejected(): number {
    return this.app.rejected;
  }
}

export function makeRingReceive(mode: ReceiveMode, to: Delivery, group: number, port: number): RingReceive {
  switch (mode) {
    case 'onload-zc':
      return new OnloadZcReceive(to);
    case 'ef_vi':
      return new EfViReceive(to, group, port);
    default:
      return new OnloadReceive(to);
  }
}
