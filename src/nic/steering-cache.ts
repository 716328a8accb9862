/**
 * The NIC's private copy of the steering table, refreshed only when the controller publishes a
 * new version (seqlock), so the per-packet path reads plain typed arrays.
 */
import { BITMAP_WORDS, MAX_GROUPS, MAX_MEMBERSHIPS } from '../onload/stack-layout.js';
import { LISTS_OFFSET, MAX_STACKS, MEMBER_ACTIVE, PATH_BYPASS, PATH_KERNEL, PATH_LOST, PATH_OFFLOAD, W_VERSION, type NicSegment } from './nic-layout.js';

export class SteeringCache {
  version = -1;
  readonly kernel = new Uint8Array(MAX_GROUPS);
  readonly stackCount = new Int32Array(MAX_GROUPS);
  readonly stackSlots = new Int32Array(MAX_GROUPS * MAX_STACKS);
  /** Bitmap of the memberships a ring copy is for, per (group, stack slot). */
  readonly ringBitmaps: Int32Array[] = Array.from({ length: MAX_GROUPS * MAX_STACKS }, () => new Int32Array(BITMAP_WORDS));
  /** Bitmap of the memberships the kernel copy is for, per group. */
  readonly kernelBitmaps: Int32Array[] = Array.from({ length: MAX_GROUPS }, () => new Int32Array(BITMAP_WORDS));
  /** Active memberships per group, and each one's path. */
  readonly memberCount = new Int32Array(MAX_GROUPS);
  readonly members = new Int32Array(MAX_GROUPS * MAX_MEMBERSHIPS);
  readonly memberPath = new Int32Array(MAX_MEMBERSHIPS);
  /** Stack slots that appeared in this version (the NIC opens their segments). */
  readonly usedStacks = new Set<number>();
  /** Memberships offloaded to the NIC in this version (the NIC connects to their sockets). */
  readonly offloaded = new Set<number>();

  /** Whether the controller has published a table this copy has not read. */
  stale(seg: NicSegment): boolean {
    return Atomics.load(seg.i32, W_VERSION) !== this.version;
  }

  /** Re-reads the table if the controller published a new one; true if it changed. */
  refresh(seg: NicSegment): boolean {
    const i32 = seg.i32;
    const v = Atomics.load(i32, W_VERSION);
    if (v === this.version) return false;
    for (;;) {
      const before = Atomics.load(i32, W_VERSION);
      if ((before & 1) === 1) continue; // being written: the controller is quick, spin
      this.read(seg);
      if (Atomics.load(i32, W_VERSION) === before) {
        this.version = before;
        return true;
      }
    }
  }

  private read(seg: NicSegment): void {
    const i32 = seg.i32;
    this.usedStacks.clear();
    this.offloaded.clear();
    for (const b of this.ringBitmaps) b.fill(0);
    for (const b of this.kernelBitmaps) b.fill(0);
    for (let g = 0; g < MAX_GROUPS; g++) {
      this.kernel[g] = i32[seg.groupWord(g, 8)];
      const mask = i32[seg.groupWord(g, 12)];
      let n = 0;
      for (let slot = 0; slot < MAX_STACKS; slot++) {
        if ((mask & (1 << slot)) !== 0) {
          this.stackSlots[g * MAX_STACKS + n++] = slot;
          this.usedStacks.add(slot);
        }
      }
      this.stackCount[g] = n;
      const first = i32[seg.groupWord(g, 16)];
      const count = i32[seg.groupWord(g, 20)];
      let k = 0;
      for (let i = 0; i < count; i++) {
        const m = i32[(LISTS_OFFSET >> 2) + first + i];
        if (Atomics.load(i32, seg.memberWord(m, 0)) !== MEMBER_ACTIVE) continue;
        const path = i32[seg.memberWord(m, 4)];
        this.memberPath[m] = path;
        this.members[g * MAX_MEMBERSHIPS + k++] = m;
        const word = m >> 5;
        const bit = 1 << (m & 31);
        if (path === PATH_BYPASS) this.ringBitmaps[g * MAX_STACKS + i32[seg.memberWord(m, 8)]][word] |= bit;
        else if (path === PATH_KERNEL) this.kernelBitmaps[g][word] |= bit;
        else if (path === PATH_OFFLOAD) this.offloaded.add(m);
      }
      this.memberCount[g] = k;
    }
  }
}

export { PATH_BYPASS, PATH_KERNEL, PATH_LOST, PATH_OFFLOAD };
