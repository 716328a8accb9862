/**
 * Writes the order-flow messages straight into a scratch buffer with DataView sets at the
 * layout table's offsets (the synthetic feed writes millions; an object per message is not
 * needed). Rare messages go through the general encoder.
 */
import { writeAlpha, writeU48, writeU64Number } from '../bytes.js';
import { encodeMessage, type ItchMessage } from '../itch/codec.js';
import { fieldOffset, messageDef, OFF_LOCATE, OFF_TIMESTAMP, OFF_TRACKING } from '../itch/layout.js';

const A = { len: messageDef('A').length, ref: fieldOffset('A', 'orderReferenceNumber'), side: fieldOffset('A', 'buySellIndicator'), shares: fieldOffset('A', 'shares'), stock: fieldOffset('A', 'stock'), price: fieldOffset('A', 'price') };
const F = { len: messageDef('F').length, attribution: fieldOffset('F', 'attribution') };
const E = { len: messageDef('E').length, ref: fieldOffset('E', 'orderReferenceNumber'), shares: fieldOffset('E', 'executedShares'), match: fieldOffset('E', 'matchNumber') };
const C = { len: messageDef('C').length, printable: fieldOffset('C', 'printable'), price: fieldOffset('C', 'executionPrice') };
const X = { len: messageDef('X').length, ref: fieldOffset('X', 'orderReferenceNumber'), shares: fieldOffset('X', 'cancelledShares') };
const D = { len: messageDef('D').length, ref: fieldOffset('D', 'orderReferenceNumber') };
const U = { len: messageDef('U').length, old: fieldOffset('U', 'originalOrderReferenceNumber'), neu: fieldOffset('U', 'newOrderReferenceNumber'), shares: fieldOffset('U', 'shares'), price: fieldOffset('U', 'price') };
const P = { len: messageDef('P').length, ref: fieldOffset('P', 'orderReferenceNumber'), side: fieldOffset('P', 'buySellIndicator'), shares: fieldOffset('P', 'shares'), stock: fieldOffset('P', 'stock'), price: fieldOffset('P', 'price'), match: fieldOffset('P', 'matchNumber') };

export class MessageWriter {
  readonly bytes = new Uint8Array(256);
  readonly view = new DataView(this.bytes.buffer);
  private tracking = 0;

  private header(type: string, locate: number, ts: number): void {
    this.bytes[0] = type.charCodeAt(0);
    this.view.setUint16(OFF_LOCATE, locate);
    this.view.setUint16(OFF_TRACKING, this.tracking);
    this.tracking = (this.tracking + 1) & 0xffff;
    writeU48(this.view, OFF_TIMESTAMP, ts);
  }

  add(locate: number, ts: number, ref: number, side: string, shares: number, stock: string, price: number, attribution?: string): number {
    this.header(attribution ? 'F' : 'A', locate, ts);
    writeU64Number(this.view, A.ref, ref);
    this.bytes[A.side] = side.charCodeAt(0);
    this.view.setUint32(A.shares, shares);
    writeAlpha(this.bytes, A.stock, 8, stock);
    this.view.setUint32(A.price, price);
    if (!attribution) return A.len;
    writeAlpha(this.bytes, F.attribution, 4, attribution);
    return F.len;
  }

  executed(locate: number, ts: number, ref: number, shares: number, match: number, withPrice?: number): number {
    this.header(withPrice === undefined ? 'E' : 'C', locate, ts);
    writeU64Number(this.view, E.ref, ref);
    this.view.setUint32(E.shares, shares);
    writeU64Number(this.view, E.match, match);
    if (withPrice === undefined) return E.len;
    this.bytes[C.printable] = 0x59; // 'Y'
    this.view.setUint32(C.price, withPrice);
    return C.len;
  }

  cancel(locate: number, ts: number, ref: number, shares: number): number {
    this.header('X', locate, ts);
    writeU64Number(this.view, X.ref, ref);
    this.view.setUint32(X.shares, shares);
    return X.len;
  }

  delete(locate: number, ts: number, ref: number): number {
    this.header('D', locate, ts);
    writeU64Number(this.view, D.ref, ref);
    return D.len;
  }

  replace(locate: number, ts: number, oldRef: number, newRef: number, shares: number, price: number): number {
    this.header('U', locate, ts);
    writeU64Number(this.view, U.old, oldRef);
    writeU64Number(this.view, U.neu, newRef);
    this.view.setUint32(U.shares, shares);
    this.view.setUint32(U.price, price);
    return U.len;
  }

  trade(locate: number, ts: number, shares: number, stock: string, price: number, match: number): number {
    this.header('P', locate, ts);
    writeU64Number(this.view, P.ref, 0); // zero since 2010 for non-displayed orders (spec 1.5.1)
    this.bytes[P.side] = 0x42; // always 'B' since 2014 (spec 1.5.1)
    this.view.setUint32(P.shares, shares);
    writeAlpha(this.bytes, P.stock, 8, stock);
    this.view.setUint32(P.price, price);
    writeU64Number(this.view, P.match, match);
    return P.len;
  }

  /** Any message through the table-driven encoder; tracking number filled in here. */
  other(msg: Omit<ItchMessage, 'trackingNumber'>): number {
    const full = { ...msg, trackingNumber: this.tracking } as ItchMessage;
    this.tracking = (this.tracking + 1) & 0xffff;
    return encodeMessage(full, this.bytes, 0);
  }
}
