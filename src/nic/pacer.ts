/**
 * When each packet is due on the wire: recorded pace × speed from a shared start time, or top
 * speed. Speed changes re-anchor at the current recording position; pauses shift the anchor,
 * so paused time is not counted as lag. A packet's scheduled time never depends on when the
 * NIC got to it: a backlog shows as lag, not as a moved schedule (no coordinated omission).
 */
export class Pacer {
  private anchorRunNs: number;
  private anchorRecNs = 0;
  private pausedAtNs: number | null = null;

  constructor(
    /** Run clock zero, monotonic ns. */
    readonly startNs: number,
    /** Multiple of recorded pace; 0 = top speed. */
    private speed: number,
  ) {
    this.anchorRunNs = startNs;
  }

  get currentSpeed(): number {
    return this.speed;
  }

  /** Scheduled wire time (monotonic ns) of the packet at recording offset `recNs`; at top speed, `nowNs`. */
  scheduled(recNs: number, nowNs: number): number {
    if (this.speed === 0) return nowNs;
    return this.anchorRunNs + (recNs - this.anchorRecNs) / this.speed;
  }

  /** The recording offset the schedule has reached at `nowNs`. */
  position(nowNs: number): number {
    if (this.speed === 0) return this.anchorRecNs;
    const at = this.pausedAtNs ?? nowNs;
    return this.anchorRecNs + (at - this.anchorRunNs) * this.speed;
  }

  setSpeed(speed: number, nowNs: number, recNsSent: number): void {
    // Re-anchor where the schedule is now (or, from top speed, at the last packet sent).
    this.anchorRecNs = this.speed === 0 ? recNsSent : this.position(nowNs);
    this.anchorRunNs = nowNs;
    this.speed = speed;
  }

  pause(nowNs: number): void {
    if (this.pausedAtNs === null) this.pausedAtNs = nowNs;
  }

  resume(nowNs: number): void {
    if (this.pausedAtNs === null) return;
    this.anchorRunNs += nowNs - this.pausedAtNs;
    this.pausedAtNs = null;
  }

  get paused(): boolean {
    return this.pausedAtNs !== null;
  }
}
