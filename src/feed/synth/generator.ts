/**
 * The synthetic trading session: start of day (system events, the stock directory, the
 * trading-action spin, market participant positions, Reg SHO), imbalance indications before
 * the open, the opening cross at 09:30:00 with its burst, then order flow on a baseline rate
 * with news spikes and the odd trading halt. Seeded: the same options give the same messages.
 */
import { MdlabError } from '../../errors.js';
import { MessageWriter } from './message-writer.js';
import { DEFAULT_MIX, OrderFlow, type Mix } from './order-flow.js';
import { Intensity } from './intensity.js';
import { Prng } from './prng.js';
import { makeUniverse, type Stock } from './universe.js';

export interface GeneratorOptions {
  seed: number;
  /** Trading-day time of the first message, ns since midnight. */
  startNs: number;
  durationNs: number;
  /** Baseline messages per second. */
  rate: number;
  symbols: number;
  burstiness: number;
  spikesPerMinute: number;
  haltsPerMinute: number;
  mix: Mix;
}

export const OPEN_NS = (9 * 3600 + 30 * 60) * 1e9;

export const DEFAULT_GENERATOR: Omit<GeneratorOptions, 'seed' | 'durationNs'> = {
  startNs: OPEN_NS - 2e9,
  rate: 8000,
  symbols: 400,
  burstiness: 1,
  spikesPerMinute: 6,
  haltsPerMinute: 1,
  mix: DEFAULT_MIX,
};

/** Called for each message: `len` bytes at `bytes[0]`, timestamp, stock locate (0: market-wide). */
export type MessageSink = (bytes: Uint8Array, len: number, timestampNs: number, locate: number) => void;

export function validateGenerator(o: GeneratorOptions): void {
  if (o.startNs < 0 || o.startNs + o.durationNs > 86_400e9) throw new MdlabError('the recording must start and end within one trading day (00:00 to 24:00)');
  if (o.symbols < 1 || o.symbols > 60000) throw new MdlabError(`--symbols must be 1 to 60000, got ${o.symbols}`);
  if (!(o.rate > 0)) throw new MdlabError(`--rate must be positive, got ${o.rate}`);
}

export class SessionGenerator {
  readonly universe: Stock[];
  private readonly rng: Prng;
  private readonly w = new MessageWriter();
  private readonly flow: OrderFlow;
  private readonly intensity: Intensity;
  private readonly cumulativeWeight: Float64Array;
  private lastTs = 0;
  messages = 0;

  constructor(readonly o: GeneratorOptions, private readonly sink: MessageSink) {
    validateGenerator(o);
    this.rng = new Prng(o.seed);
    this.universe = makeUniverse(this.rng, o.symbols);
    this.flow = new OrderFlow(this.universe, o.mix, this.rng, this.w, (len, ts, locate) => this.out(len, ts, locate));
    this.intensity = new Intensity({
      startNs: o.startNs, endNs: o.startNs + o.durationNs, rate: o.rate, burstiness: o.burstiness,
      openNs: OPEN_NS, spikesPerMinute: o.spikesPerMinute, symbols: o.symbols,
    }, this.rng);
    let acc = 0;
    this.cumulativeWeight = new Float64Array(this.universe.map((s) => (acc += s.weight)));
  }

  get spikes(): readonly { atNs: number; symbol: string }[] {
    return this.intensity.spikes.map((s) => ({ atNs: s.atNs, symbol: this.universe[s.symbolIndex].ticker }));
  }

  private out(len: number, ts: number, locate: number): void {
    // Timestamps never run backwards on a channel; a sweep's later fills may pass the next event.
    if (ts < this.lastTs) ts = this.lastTs;
    this.lastTs = ts;
    if (len >= 11) {
      // The writer set the timestamp before the clamp; keep message and wire time in step.
      const v = this.w.view;
      v.setUint16(5, Math.floor(ts / 0x1_0000_0000));
      v.setUint32(7, ts >>> 0);
    }
    this.messages++;
    this.sink(this.w.bytes, len, ts, locate);
  }

  private system(ts: number, code: string): void {
    this.out(this.w.other({ type: 'S', stockLocate: 0, timestamp: ts, eventCode: code }), ts, 0);
  }

  /** Generates the whole recording; `onProgress(fraction)` now and then. */
  run(onProgress?: (fraction: number) => void): void {
    const o = this.o;
    const rng = this.rng;
    const end = o.startNs + o.durationNs;
    let t = o.startNs;
    const step = () => (t += 50 + rng.int(100));

    // Start of day: the directory comes before any message about a stock.
    this.system(t, 'O');
    this.system(step(), 'S');
    for (const s of this.universe) {
      this.out(this.w.other({
        type: 'R', stockLocate: s.locate, timestamp: step(), stock: s.ticker, marketCategory: s.marketCategory,
        financialStatusIndicator: 'N', roundLotSize: s.roundLot, roundLotsOnly: 'N', issueClassification: s.isEtp ? 'Q' : 'C',
        issueSubType: s.isEtp ? 'I' : 'Z', authenticity: 'P', shortSaleThresholdIndicator: 'N', ipoFlag: 'N',
        luldReferencePriceTier: s.price > 30_0000 ? '1' : '2', etpFlag: s.isEtp ? 'Y' : 'N', etpLeverageFactor: s.isEtp ? 1 : 0, inverseIndicator: 'N',
      }), t, s.locate);
    }
    for (const s of this.universe) {
      this.out(this.w.other({ type: 'H', stockLocate: s.locate, timestamp: step(), stock: s.ticker, tradingState: 'T', reserved: ' ', reason: '' }), t, s.locate);
      if (rng.chance(0.05)) this.out(this.w.other({ type: 'Y', stockLocate: s.locate, timestamp: step(), stock: s.ticker, regShoAction: '0' }), t, s.locate);
      if (rng.chance(0.1)) {
        this.out(this.w.other({ type: 'L', stockLocate: s.locate, timestamp: step(), mpid: 'GSCO', stock: s.ticker, primaryMarketMaker: 'Y', marketMakerMode: 'N', marketParticipantState: 'A' }), t, s.locate);
      }
    }

    const openInRange = OPEN_NS >= o.startNs && OPEN_NS < end;
    let nextNoii = openInRange ? Math.max(o.startNs, OPEN_NS - 5e9) : Infinity;
    let openDone = !openInRange;
    const halts: { book: number; resumeNs: number }[] = [];
    const haltMean = o.haltsPerMinute > 0 ? 60e9 / o.haltsPerMinute : Infinity;
    let nextHalt = t + rng.exponential(haltMean);
    let lastProgress = t;

    for (;;) {
      const rate = this.intensity.rateAt(t);
      t += Math.max(1, Math.round(rng.exponential(1e9 / rate)));
      if (t >= end) break;

      if (t >= nextNoii && !openDone) {
        // Net order imbalance indications every second before the opening cross (spec 1.6).
        for (const s of this.universe) {
          if (s.weight < 0.05) continue;
          const paired = s.roundLot * rng.range(10, 500);
          this.out(this.w.other({
            type: 'I', stockLocate: s.locate, timestamp: nextNoii, pairedShares: paired, imbalanceShares: s.roundLot * rng.range(0, 50),
            imbalanceDirection: 'BSN'[rng.int(3)], stock: s.ticker, farPrice: s.price, nearPrice: s.price, currentReferencePrice: s.price,
            crossType: 'O', priceVariationIndicator: 'L',
          }), nextNoii, s.locate);
        }
        nextNoii += 1e9;
      }
      if (!openDone && t >= OPEN_NS) {
        openDone = true;
        this.system(OPEN_NS, 'Q');
        for (const s of this.universe) {
          this.out(this.w.other({
            type: 'Q', stockLocate: s.locate, timestamp: OPEN_NS, shares: s.roundLot * rng.range(10, 2000), stock: s.ticker,
            crossPrice: s.price, matchNumber: this.flow.matchNumber(), crossType: 'O',
          }), OPEN_NS, s.locate);
        }
      }
      if (t >= nextHalt) {
        // A limit-up/limit-down pause on one name, resumed a few seconds later with a collar.
        const i = rng.int(this.universe.length);
        const book = this.flow.books[i];
        if (!book.halted) {
          book.halted = true;
          this.out(this.w.other({ type: 'H', stockLocate: book.stock.locate, timestamp: t, stock: book.stock.ticker, tradingState: 'P', reserved: ' ', reason: 'LUDP' }), t, book.stock.locate);
          halts.push({ book: i, resumeNs: t + 2e9 + rng.int(3e9) });
        }
        nextHalt = t + rng.exponential(haltMean);
      }
      for (let h = halts.length - 1; h >= 0; h--) {
        if (halts[h].resumeNs > t) continue;
        const book = this.flow.books[halts[h].book];
        const s = book.stock;
        this.out(this.w.other({
          type: 'J', stockLocate: s.locate, timestamp: t, stock: s.ticker, auctionCollarReferencePrice: book.mid,
          upperAuctionCollarPrice: Math.round(book.mid * 1.05), lowerAuctionCollarPrice: Math.round(book.mid * 0.95), auctionCollarExtension: 0,
        }), t, s.locate);
        this.out(this.w.other({ type: 'H', stockLocate: s.locate, timestamp: t, stock: s.ticker, tradingState: 'T', reserved: ' ', reason: '' }), t, s.locate);
        book.halted = false;
        halts.splice(h, 1);
      }

      // Whose event: during a news spike most of the flow is on its symbol.
      const spike = this.intensity.activeSpike(t);
      const idx = spike && rng.chance(0.7) ? spike.symbolIndex : rng.weighted(this.cumulativeWeight);
      this.flow.event(this.flow.books[idx], t);

      if (onProgress && t - lastProgress > 50e6) {
        lastProgress = t;
        onProgress((t - o.startNs) / o.durationNs);
      }
    }
  }
}
