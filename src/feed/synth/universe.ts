/**
 * The symbol universe: tickers with stock locates in alphabetical order (as Nasdaq assigns
 * them for the day), reference prices, round lots, and activity weights with a heavy head
 * (a few names carry much of the flow, as on a real day).
 */
import { Prng } from './prng.js';

export interface Stock {
  locate: number;
  ticker: string;
  /** Price(4) units: 1 = $0.0001. */
  price: number;
  tick: number;
  roundLot: number;
  marketCategory: string;
  isEtp: boolean;
  weight: number;
}

export function makeUniverse(rng: Prng, count: number): Stock[] {
  const tickers = new Set<string>();
  while (tickers.size < count) {
    const len = rng.chance(0.15) ? 1 + rng.int(2) : 3 + rng.int(2);
    let t = '';
    for (let i = 0; i < len; i++) t += String.fromCharCode(65 + rng.int(26));
    tickers.add(t);
  }
  const sorted = [...tickers].sort();
  const categories = ['Q', 'Q', 'G', 'S', 'N', 'P'];
  return sorted.map((ticker, i) => {
    // Log-uniform $5 to $500, whole cents.
    const dollars = Math.exp(Math.log(5) + rng.float() * Math.log(100));
    const price = Math.round(dollars * 100) * 100;
    return {
      locate: i + 1,
      ticker,
      price,
      tick: 100,
      roundLot: 100,
      marketCategory: categories[rng.int(categories.length)],
      isEtp: rng.chance(0.1),
      // Zipf-like weight on a random rank, so busy names are spread over all channels.
      weight: 1 / (1 + rng.int(count)) ** 0.9,
    };
  });
}
