/**
 * The NIC's (group, port) → group index lookup, per packet, without allocating: a small
 * open-addressing table in typed arrays. (A Map keyed by addr × 65536 + port boxed a heap number
 * per lookup, since such keys are beyond V8's small integers: the NIC's garbage.)
 */
const EMPTY = -1;

export class GroupTable {
  private readonly addrs: Int32Array;
  private readonly ports: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 4) size <<= 1;
    this.addrs = new Int32Array(size);
    this.ports = new Int32Array(size).fill(EMPTY);
    this.values = new Int32Array(size);
    this.mask = size - 1;
  }

  private slot(addr: number, port: number): number {
    return (Math.imul(addr ^ (port << 16), 0x9e3779b1) >>> 0) & this.mask;
  }

  set(addr: number, port: number, value: number): void {
    let i = this.slot(addr, port);
    while (this.ports[i] !== EMPTY && !(this.addrs[i] === (addr | 0) && this.ports[i] === port)) i = (i + 1) & this.mask;
    this.addrs[i] = addr | 0;
    this.ports[i] = port;
    this.values[i] = value;
  }

  /** The value for (addr, port), or -1. */
  get(addr: number, port: number): number {
    const a = addr | 0;
    for (let i = this.slot(addr, port); ; i = (i + 1) & this.mask) {
      const p = this.ports[i];
      if (p === EMPTY) return -1;
      if (p === port && this.addrs[i] === a) return this.values[i];
    }
  }
}
