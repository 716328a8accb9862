/**
 * The NIC's per-membership counters (sent, and by path), added in batches. Every member of a
 * group counts the same packet on its own path, so the NIC adds once per packet per group here
 * and, before any slot is published and before the steering changes, once per member: at top
 * speed that is once per publish batch, not two shared-memory adds per member per packet.
 */
import { MAX_GROUPS, MAX_MEMBERSHIPS } from '../onload/stack-layout.js';
import { PATH_BYPASS, PATH_KERNEL, PATH_LOST, PATH_OFFLOAD, type NicSegment } from './nic-layout.js';
import type { SteeringCache } from './steering-cache.js';

export class MemberCounter {
  /** Packets of each group sent since its members' counters were last published. */
  private readonly unflushed = new Float64Array(MAX_GROUPS);
  private any = false;

  constructor(private readonly seg: NicSegment, private readonly steering: SteeringCache, private readonly groups: number) {}

  /** One packet of group `g`, sent to its members under the current table. */
  count(g: number): void {
    this.unflushed[g] += 1;
    this.any = true;
  }

  /**
   * Reads the controller's new steering table, if there is one, after handing the counts so far
   * to the members and paths of the table they were sent under. True if the table changed.
   */
  refresh(): boolean {
    if (!this.steering.stale(this.seg)) return false;
    this.flush();
    return this.steering.refresh(this.seg);
  }

  /** Adds each group's unflushed packets to its members' counters, each on its path. */
  flush(): void {
    if (!this.any) return;
    this.any = false;
    const st = this.steering;
    const seg = this.seg;
    const f = seg.f64;
    for (let g = 0; g < this.groups; g++) {
      const k = this.unflushed[g];
      if (k === 0) continue;
      this.unflushed[g] = 0;
      const n = st.memberCount[g];
      for (let i = 0; i < n; i++) {
        const m = st.members[g * MAX_MEMBERSHIPS + i];
        f[seg.memberF64(m, 24)] += k;
        const path = st.memberPath[m];
        if (path === PATH_BYPASS) f[seg.memberF64(m, 32)] += k;
        else if (path === PATH_KERNEL) f[seg.memberF64(m, 40)] += k;
        else if (path === PATH_LOST) f[seg.memberF64(m, 48)] += k;
        else if (path === PATH_OFFLOAD) f[seg.memberF64(m, 56)] += k;
      }
    }
  }
}
