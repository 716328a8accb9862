/**
 * Injected loss (DESIGN §13), to make loss experiments repeatable: the NIC drops packets the
 * config names before they reach any ring or socket, and each is counted `injected` in the
 * accounts. A timed drop takes the next N packets of each of its groups from its time; a rate
 * drops each packet with that probability from a seeded stream, so that the same config drops
 * the same packets. Pure: times and group indices in, a decision out; no allocation per packet.
 */
import { Prng } from '../feed/synth/prng.js';

export interface InjectedDrop {
  /** Run time it starts, ns (from the replay's start, by the schedule). */
  atNs: number;
  /** Group indices (the NIC's table). */
  groups: number[];
  packets: number | null;
  rate: number | null;
  seed: number;
}

export class LossInjector {
  private readonly order: InjectedDrop[];
  private next = 0;
  /** Packets still to drop, per group (timed drops add up). */
  private readonly remaining: Float64Array;
  /** The rate in force per group (0: none), and its random stream. */
  private readonly rate: Float64Array;
  private readonly streams: (Prng | null)[];
  readonly active: boolean;

  constructor(drops: readonly InjectedDrop[], groupCount: number) {
    this.order = [...drops].sort((a, b) => a.atNs - b.atNs);
    this.remaining = new Float64Array(groupCount);
    this.rate = new Float64Array(groupCount);
    this.streams = new Array<Prng | null>(groupCount).fill(null);
    this.active = drops.length > 0;
  }

  /** Whether the NIC drops this packet of group `g`, due at run time `runNs`. */
  drops(g: number, runNs: number): boolean {
    while (this.next < this.order.length && this.order[this.next].atNs <= runNs) this.begin(this.order[this.next++]);
    if (this.remaining[g] > 0) {
      this.remaining[g] -= 1;
      return true;
    }
    const r = this.rate[g];
    return r > 0 && this.streams[g]!.float() < r;
  }

  private begin(d: InjectedDrop): void {
    for (const g of d.groups) {
      if (g < 0 || g >= this.remaining.length) continue;
      if (d.packets !== null) this.remaining[g] += d.packets;
      if (d.rate !== null) {
        this.rate[g] = d.rate;
        // One stream per group, from the seed and the group: adding a group does not move another's drops.
        this.streams[g] = new Prng((d.seed ^ Math.imul(g + 1, 0x9e3779b1)) >>> 0);
      }
    }
  }
}
