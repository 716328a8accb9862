/**
 * Order flow for one universe: every cancel, execution, replace and delete names an order
 * that is live at that moment (no execution of an order that does not exist), and the number
 * of live orders stays near a target so long recordings keep flat memory.
 */
import { MdlabError } from '../../errors.js';
import type { MessageWriter } from './message-writer.js';
import type { Prng } from './prng.js';
import type { Stock } from './universe.js';

export const ACTIONS = ['add', 'cancel', 'delete', 'execute', 'replace', 'trade'] as const;
export type Action = (typeof ACTIONS)[number];
export type Mix = Record<Action, number>;

export const DEFAULT_MIX: Mix = { add: 44, cancel: 8, delete: 30, execute: 7, replace: 10, trade: 1 };

/** `add=45,delete=30,...`: weights for some or all actions; the rest keep their defaults. */
export function parseMix(text: string): Mix {
  const mix: Mix = { ...DEFAULT_MIX };
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z]+)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!m || !(ACTIONS as readonly string[]).includes(m[1])) {
      throw new MdlabError(`--mix ${JSON.stringify(part)}: expected ACTION=WEIGHT with ACTION one of ${ACTIONS.join(', ')}`);
    }
    mix[m[1] as Action] = Number(m[2]);
  }
  if (mix.add <= 0) throw new MdlabError('--mix: add must have a positive weight (every other action needs live orders)');
  return mix;
}

interface Order {
  ref: number;
  buy: boolean;
  shares: number;
  price: number;
}

interface Book {
  stock: Stock;
  mid: number;
  orders: Order[];
  halted: boolean;
}

/** Emits one message: `len` bytes in `writer.bytes`, at `ts`, for `locate`. */
export type Emit = (len: number, ts: number, locate: number) => void;

const MPIDS = ['GSCO', 'MSCO', 'JPMS', 'CDRG', 'VIRT', 'JANE', 'UBSS', 'NITE'];
const TARGET_LIVE_PER_BOOK = 40;

export class OrderFlow {
  readonly books: Book[];
  private nextRef = 1;
  private nextMatch = 1;
  private live = 0;
  private readonly cumulative: Float64Array;

  constructor(universe: Stock[], mix: Mix, private readonly rng: Prng, private readonly w: MessageWriter, private readonly emit: Emit) {
    this.books = universe.map((stock) => ({ stock, mid: stock.price, orders: [], halted: false }));
    let acc = 0;
    this.cumulative = new Float64Array(ACTIONS.map((a) => (acc += Math.max(0, mix[a]))));
  }

  get liveOrders(): number {
    return this.live;
  }

  matchNumber(): number {
    return this.nextMatch++;
  }

  /** One order-flow event on a book at time `ts`; returns the time of its last message. */
  event(book: Book, ts: number): number {
    if (book.halted) return ts;
    const rng = this.rng;
    // Random walk of the mid, a tick at a time.
    if (rng.chance(0.05)) book.mid = Math.max(book.stock.tick * 10, book.mid + (rng.chance(0.5) ? 1 : -1) * book.stock.tick);
    let action = ACTIONS[rng.weighted(this.cumulative)];
    const n = book.orders.length;
    // Keep the live count near its target: past it, prefer removals; with none, adds.
    if (n === 0 && action !== 'trade') action = 'add';
    else if (action === 'add' && n > 2 * TARGET_LIVE_PER_BOOK) action = rng.chance(0.5) ? 'delete' : 'execute';
    switch (action) {
      case 'add':
        return this.add(book, ts);
      case 'cancel':
        return this.cancel(book, ts);
      case 'delete':
        return this.remove(book, rng.int(n), ts);
      case 'execute':
        return this.execute(book, ts);
      case 'replace':
        return this.replace(book, ts);
      case 'trade':
        this.emit(this.w.trade(book.stock.locate, ts, book.stock.roundLot * rng.range(1, 5), book.stock.ticker, book.mid, this.nextMatch++), ts, book.stock.locate);
        return ts;
    }
  }

  private priceFor(book: Book, buy: boolean): number {
    const away = Math.floor(this.rng.exponential(3));
    const p = buy ? book.mid - (1 + away) * book.stock.tick : book.mid + (1 + away) * book.stock.tick;
    return Math.max(book.stock.tick, p);
  }

  private sharesFor(book: Book): number {
    return this.rng.chance(0.1) ? this.rng.range(1, book.stock.roundLot - 1) : book.stock.roundLot * this.rng.range(1, 10);
  }

  add(book: Book, ts: number): number {
    const buy = this.rng.chance(0.5);
    const o: Order = { ref: this.nextRef++, buy, shares: this.sharesFor(book), price: this.priceFor(book, buy) };
    book.orders.push(o);
    this.live++;
    const mpid = this.rng.chance(0.1) ? MPIDS[this.rng.int(MPIDS.length)] : undefined;
    this.emit(this.w.add(book.stock.locate, ts, o.ref, buy ? 'B' : 'S', o.shares, book.stock.ticker, o.price, mpid), ts, book.stock.locate);
    return ts;
  }

  private cancel(book: Book, ts: number): number {
    const o = book.orders[this.rng.int(book.orders.length)];
    if (o.shares < 2) return this.remove(book, book.orders.indexOf(o), ts);
    const cut = this.rng.range(1, o.shares - 1);
    o.shares -= cut;
    this.emit(this.w.cancel(book.stock.locate, ts, o.ref, cut), ts, book.stock.locate);
    return ts;
  }

  private remove(book: Book, i: number, ts: number): number {
    const o = book.orders[i];
    book.orders[i] = book.orders[book.orders.length - 1];
    book.orders.pop();
    this.live--;
    this.emit(this.w.delete(book.stock.locate, ts, o.ref), ts, book.stock.locate);
    return ts;
  }

  /** An aggressor sweeps one or more resting orders on one side, best price first. */
  private execute(book: Book, ts: number): number {
    const first = book.orders[this.rng.int(book.orders.length)];
    const side = book.orders.filter((o) => o.buy === first.buy).sort((a, b) => (first.buy ? b.price - a.price : a.price - b.price));
    const sweep = this.rng.chance(0.2) ? Math.min(side.length, this.rng.range(2, 6)) : 1;
    let t = ts;
    for (let k = 0; k < sweep; k++) {
      const o = sweep === 1 ? first : side[k];
      const full = k < sweep - 1 || this.rng.chance(0.6);
      const qty = full ? o.shares : this.rng.range(1, Math.max(1, o.shares - 1));
      const withPrice = this.rng.chance(0.05) ? o.price : undefined;
      this.emit(this.w.executed(book.stock.locate, t, o.ref, qty, this.nextMatch++, withPrice), t, book.stock.locate);
      o.shares -= qty;
      if (o.shares === 0) {
        const i = book.orders.indexOf(o);
        book.orders[i] = book.orders[book.orders.length - 1];
        book.orders.pop();
        this.live--;
      }
      t += 20 + this.rng.int(200);
    }
    if (sweep > 1) book.mid += (first.buy ? -1 : 1) * book.stock.tick;
    return t;
  }

  private replace(book: Book, ts: number): number {
    const i = this.rng.int(book.orders.length);
    const o = book.orders[i];
    const n: Order = { ref: this.nextRef++, buy: o.buy, shares: this.sharesFor(book), price: this.priceFor(book, o.buy) };
    book.orders[i] = n;
    this.emit(this.w.replace(book.stock.locate, ts, o.ref, n.ref, n.shares, n.price), ts, book.stock.locate);
    return ts;
  }
}
