/** Peak count of packets and messages in any window of `windowNs` (sliding, not binned). */
export class SlidingPeak {
  private times = new Float64Array(1024);
  private counts = new Uint32Array(1024);
  private head = 0;
  private size = 0;
  private packets = 0;
  private messages = 0;
  peakPackets = 0;
  peakPacketsAtNs = 0;
  peakMessages = 0;
  peakMessagesAtNs = 0;

  constructor(readonly windowNs: number) {}

  /** Adds one packet with `messages` at `tNs` (non-decreasing). */
  add(tNs: number, messages: number): void {
    // Capacity is a power of two: positions wrap by a mask (a modulo per packet costs more).
    let mask = this.times.length - 1;
    while (this.size > 0 && this.times[this.head] <= tNs - this.windowNs) {
      this.packets--;
      this.messages -= this.counts[this.head];
      this.head = (this.head + 1) & mask;
      this.size--;
    }
    if (this.size === mask + 1) {
      this.grow();
      mask = this.times.length - 1;
    }
    const at = (this.head + this.size) & mask;
    this.times[at] = tNs;
    this.counts[at] = messages;
    this.size++;
    this.packets++;
    this.messages += messages;
    if (this.packets > this.peakPackets) {
      this.peakPackets = this.packets;
      this.peakPacketsAtNs = tNs;
    }
    if (this.messages > this.peakMessages) {
      this.peakMessages = this.messages;
      this.peakMessagesAtNs = tNs;
    }
  }

  /** Starts a new peak from what the window holds now (the window itself is kept). */
  resetPeak(): void {
    this.peakPackets = this.packets;
    this.peakMessages = this.messages;
  }

  private grow(): void {
    const cap = this.times.length;
    const times = new Float64Array(cap * 2);
    const counts = new Uint32Array(cap * 2);
    for (let i = 0; i < this.size; i++) {
      times[i] = this.times[(this.head + i) % cap];
      counts[i] = this.counts[(this.head + i) % cap];
    }
    this.times = times;
    this.counts = counts;
    this.head = 0;
  }
}
