/**
 * A feed handler's order book, the "build an order book" application work: orders by
 * reference (typed arrays, a free list, one Map from reference to slot) and shares resting
 * per stock locate and side. Field reads go straight to the packet buffer.
 */
import { readU64Number } from '../feed/bytes.js';
import { ADD_PRICE, ADD_REF, ADD_SHARES, ADD_SIDE, CANCEL_SHARES, EXEC_REF, EXEC_SHARES, REPLACE_NEW, REPLACE_OLD, REPLACE_PRICE, REPLACE_SHARES } from '../feed/itch/fields.js';

const CAPACITY = 1 << 20;

export class OrderBook {
  private readonly slotOf = new Map<number, number>();
  private readonly shares = new Uint32Array(CAPACITY);
  private readonly price = new Uint32Array(CAPACITY);
  private readonly locate = new Uint16Array(CAPACITY);
  private readonly buy = new Uint8Array(CAPACITY);
  private readonly free = new Int32Array(CAPACITY);
  private freeTop = 0;
  private nextSlot = 0;
  /** Resting shares per (locate, side). */
  readonly depth = new Float64Array(65536 * 2);
  unknownRefs = 0;
  full = 0;

  get orders(): number {
    return this.slotOf.size;
  }

  /**
   * A digest of the book's state: resting shares per stock and side, and the order count (FNV-1a
   * over the non-empty levels in order). Two handlers that applied the same messages in sequence
   * order have the same digest: a recovered book is the same book.
   */
  digest(): string {
    let h = 0x811c9dc5;
    const mix = (x: number) => {
      for (let k = 0; k < 4; k++) {
        h ^= (x >>> (8 * k)) & 0xff;
        h = Math.imul(h, 0x01000193) >>> 0;
      }
    };
    for (let i = 0; i < this.depth.length; i++) {
      const d = this.depth[i];
      if (d === 0) continue;
      mix(i);
      mix(d >>> 0);
      mix(Math.floor(d / 2 ** 32));
    }
    mix(this.slotOf.size);
    return h.toString(16).padStart(8, '0');
  }

  /** Applies one ITCH message at `off` in `bytes`. */
  apply(bytes: Uint8Array, v: DataView, off: number, len: number): void {
    switch (bytes[off]) {
      case 0x41: // A
      case 0x46: // F
        if (len >= 36) this.add(readU64Number(v, off + ADD_REF), v.getUint16(off + 1), bytes[off + ADD_SIDE] === 0x42, v.getUint32(off + ADD_SHARES), v.getUint32(off + ADD_PRICE));
        break;
      case 0x45: // E
      case 0x43: // C
        if (len >= 31) this.reduce(readU64Number(v, off + EXEC_REF), v.getUint32(off + EXEC_SHARES));
        break;
      case 0x58: // X
        if (len >= 23) this.reduce(readU64Number(v, off + EXEC_REF), v.getUint32(off + CANCEL_SHARES));
        break;
      case 0x44: // D
        if (len >= 19) this.remove(readU64Number(v, off + EXEC_REF));
        break;
      case 0x55: {
        // U: the old order goes, a new one takes its side and stock
        if (len < 35) break;
        const old = this.slotOf.get(readU64Number(v, off + REPLACE_OLD));
        if (old === undefined) {
          this.unknownRefs++;
          break;
        }
        const loc = this.locate[old];
        const side = this.buy[old] === 1;
        this.remove(readU64Number(v, off + REPLACE_OLD));
        this.add(readU64Number(v, off + REPLACE_NEW), loc, side, v.getUint32(off + REPLACE_SHARES), v.getUint32(off + REPLACE_PRICE));
        break;
      }
      default:
        break;
    }
  }

  private add(ref: number, loc: number, isBuy: boolean, shares: number, price: number): void {
    const slot = this.freeTop > 0 ? this.free[--this.freeTop] : this.nextSlot < CAPACITY ? this.nextSlot++ : -1;
    if (slot < 0) {
      this.full++;
      return;
    }
    this.slotOf.set(ref, slot);
    this.shares[slot] = shares;
    this.price[slot] = price;
    this.locate[slot] = loc;
    this.buy[slot] = isBuy ? 1 : 0;
    this.depth[loc * 2 + (isBuy ? 0 : 1)] += shares;
  }

  private reduce(ref: number, by: number): void {
    const slot = this.slotOf.get(ref);
    if (slot === undefined) {
      this.unknownRefs++;
      return;
    }
    const cut = Math.min(by, this.shares[slot]);
    this.shares[slot] -= cut;
    this.depth[this.locate[slot] * 2 + (this.buy[slot] === 1 ? 0 : 1)] -= cut;
    if (this.shares[slot] === 0) this.release(ref, slot);
  }

  private remove(ref: number): void {
    const slot = this.slotOf.get(ref);
    if (slot === undefined) {
      this.unknownRefs++;
      return;
    }
    this.depth[this.locate[slot] * 2 + (this.buy[slot] === 1 ? 0 : 1)] -= this.shares[slot];
    this.release(ref, slot);
  }

  private release(ref: number, slot: number): void {
    this.slotOf.delete(ref);
    this.free[this.freeTop++] = slot;
  }
}
