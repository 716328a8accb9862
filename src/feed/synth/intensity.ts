/**
 * The message rate over time: a quiet baseline, the opening cross (a large burst at 09:30:00
 * decaying over a few hundred ms), and news spikes (Poisson-arriving bursts on one symbol).
 * `burstiness` scales every burst; 0 gives a flat rate.
 */
import { Prng } from './prng.js';

export interface Spike {
  atNs: number;
  /** Peak multiple of the baseline rate. */
  gain: number;
  decayNs: number;
  /** Index into the universe of the symbol the news is about. */
  symbolIndex: number;
}

export interface IntensityOptions {
  startNs: number;
  endNs: number;
  /** Baseline messages per second. */
  rate: number;
  burstiness: number;
  /** Time of the opening cross (ns since midnight), if inside the recording. */
  openNs: number;
  spikesPerMinute: number;
  symbols: number;
}

export const OPEN_GAIN = 25;
export const OPEN_DECAY_NS = 400e6;

export class Intensity {
  readonly spikes: Spike[] = [];

  constructor(private readonly o: IntensityOptions, rng: Prng) {
    if (o.burstiness > 0 && o.spikesPerMinute > 0) {
      const mean = 60e9 / o.spikesPerMinute;
      for (let t = o.startNs + rng.exponential(mean); t < o.endNs; t += rng.exponential(mean)) {
        this.spikes.push({ atNs: Math.round(t), gain: (4 + rng.float() * 8) * o.burstiness, decayNs: 50e6 + rng.float() * 150e6, symbolIndex: rng.int(o.symbols) });
      }
    }
  }

  /** Multiple of the baseline rate at time t, and the spike (if any) dominating it. */
  gainAt(t: number): number {
    let gain = 1;
    const o = this.o;
    if (o.burstiness > 0 && t >= o.openNs) gain += OPEN_GAIN * o.burstiness * Math.exp(-(t - o.openNs) / OPEN_DECAY_NS);
    for (const s of this.spikes) {
      if (s.atNs > t) break;
      const dt = t - s.atNs;
      if (dt < 6 * s.decayNs) gain += s.gain * Math.exp(-dt / s.decayNs);
    }
    return gain;
  }

  /** The most recent spike still strong at t (its symbol draws most of the flow), or undefined. */
  activeSpike(t: number): Spike | undefined {
    let best: Spike | undefined;
    for (const s of this.spikes) {
      if (s.atNs > t) break;
      if (t - s.atNs < 2 * s.decayNs) best = s;
    }
    return best;
  }

  /** Messages per second at t. */
  rateAt(t: number): number {
    return this.o.rate * this.gainAt(t);
  }
}
