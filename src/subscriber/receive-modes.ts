/**
 * Receive modes: what happens between a frame in the stack's ring and the application.
 * `copy` is Onload's recv(): the stack (library in the process) processes the Ethernet/IPv4/UDP
 * headers and copies the payload into the application's buffer. `zero-copy` is onload_zc_recv():
 * the same protocol processing, and the application reads the payload in place in the ring.
 */
import { decodeFrame, LINKTYPE_ETHERNET, newDatagram } from '../feed/frame.js';
import type { SlotSink } from '../onload/ring-reader.js';
import { copyBytes } from '../shm/copy.js';
import { SL_FRAME, SL_LENGTH, SL_SCHEDULED, SL_SENT, type StackSegment } from '../onload/stack-layout.js';

export type ReceiveMode = 'copy' | 'zero-copy';
export const RECEIVE_MODES: readonly ReceiveMode[] = ['copy', 'zero-copy'];

/** Where a delivered payload goes: the subscriber's per-membership delivery. */
export interface Delivery {
  deliver(bytes: Buffer, view: DataView, off: number, len: number, scheduledNs: number, sentNs: number): void;
  /** A frame the stack could not parse (not UDP/IPv4): counted, not delivered. */
  malformed(): void;
}

abstract class StackReceive implements SlotSink {
  protected readonly dgram = newDatagram();
  protected ok = false;
  protected scheduledNs = 0;
  protected sentNs = 0;
  /** Bytes this mode copied on the host (payload only; the NIC's DMA is not a host copy). */
  bytesCopied = 0;

  constructor(protected readonly to: Delivery) {}

  /** The stack's protocol processing: find the UDP payload in the frame. */
  protected parse(s: StackSegment, base: number): void {
    const len = s.view.getUint16(base + SL_LENGTH, true);
    this.ok = decodeFrame(LINKTYPE_ETHERNET, s.bytes, s.view, base + SL_FRAME, len, this.dgram) === null;
    this.scheduledNs = s.f64[(base + SL_SCHEDULED) >> 3];
    this.sentNs = s.f64[(base + SL_SENT) >> 3];
  }

  abstract accept(s: StackSegment, base: number): void;
  abstract deliver(s: StackSegment, base: number): void;
}

export class CopyReceive extends StackReceive {
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
    this.to.deliver(this.app, this.appView, 0, this.length, this.scheduledNs, this.sentNs);
  }
}

export class ZeroCopyReceive extends StackReceive {
  accept(s: StackSegment, base: number): void {
    this.parse(s, base);
  }

  deliver(s: StackSegment): void {
    if (!this.ok) return this.to.malformed();
    // In place: the application reads the ring itself, then releases the slot.
    this.to.deliver(s.bytes, s.view, this.dgram.payloadOffset, this.dgram.payloadLength, this.scheduledNs, this.sentNs);
  }
}

export function makeReceive(mode: ReceiveMode, to: Delivery): StackReceive {
  return mode === 'zero-copy' ? new ZeroCopyReceive(to) : new CopyReceive(to);
}
