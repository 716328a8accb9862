/**
 * The model's event queue: a binary min-heap on (time, then order of insertion), so that equal
 * times pop in a fixed order (the model is deterministic), over typed arrays, so that nothing is
 * allocated per event once they have grown to the run's peak. The heap orders slot numbers; an
 * event's fields stay in its slot (a sift moves one integer, not five fields).
 * Each event carries its time, three f64 payloads and one i32.
 */
export class EventQueue {
  private heap = new Int32Array(1024);
  private time = new Float64Array(1024);
  private seq = new Float64Array(1024);
  private x = new Float64Array(1024);
  private y = new Float64Array(1024);
  private z = new Float64Array(1024);
  private k = new Int32Array(1024);
  private freeSlots = new Int32Array(1024);
  private nFree = 0;
  private slots = 0;
  private n = 0;
  private counter = 0;
  /** The peeked or popped event's fields. */
  t = 0;
  a = 0;
  b = 0;
  c = 0;
  kind = 0;

  get size(): number {
    return this.n;
  }

  private grow(): void {
    const cap = this.time.length * 2;
    const f = (old: Float64Array) => {
      const next = new Float64Array(cap);
      next.set(old);
      return next;
    };
    const i = (old: Int32Array) => {
      const next = new Int32Array(cap);
      next.set(old);
      return next;
    };
    this.heap = i(this.heap);
    this.time = f(this.time);
    this.seq = f(this.seq);
    this.x = f(this.x);
    this.y = f(this.y);
    this.z = f(this.z);
    this.k = i(this.k);
    this.freeSlots = i(this.freeSlots);
  }

  private less(si: number, sj: number): boolean {
    const ti = this.time[si];
    const tj = this.time[sj];
    return ti < tj || (ti === tj && this.seq[si] < this.seq[sj]);
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const s = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(s, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = s;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = this.n;
    const s = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.less(h[r], h[l]) ? r : l;
      if (!this.less(h[m], s)) break;
      h[i] = h[m];
      i = m;
    }
    h[i] = s;
  }

  private fill(slot: number, time: number, kind: number, a: number, b: number, c: number): void {
    this.time[slot] = time;
    this.seq[slot] = this.counter++;
    this.x[slot] = a;
    this.y[slot] = b;
    this.z[slot] = c;
    this.k[slot] = kind;
  }

  push(time: number, kind: number, a: number, b: number, c = 0): void {
    let slot: number;
    if (this.nFree > 0) slot = this.freeSlots[--this.nFree];
    else {
      if (this.slots === this.time.length) this.grow();
      slot = this.slots++;
    }
    this.fill(slot, time, kind, a, b, c);
    this.heap[this.n] = slot;
    this.siftUp(this.n++);
  }

  /** Reads the earliest event into t, kind, a, b, c without removing it; false when empty. */
  peek(): boolean {
    if (this.n === 0) return false;
    const s = this.heap[0];
    this.t = this.time[s];
    this.kind = this.k[s];
    this.a = this.x[s];
    this.b = this.y[s];
    this.c = this.z[s];
    return true;
  }

  /** Replaces the earliest event by a later one (a cursor moving on): one sift down, no push. */
  replaceTop(time: number, kind: number, a: number, b: number, c: number): void {
    this.fill(this.heap[0], time, kind, a, b, c);
    this.siftDown(0);
  }

  /** Pops the earliest event into t, kind, a, b, c; false when empty. */
  pop(): boolean {
    if (!this.peek()) return false;
    this.freeSlots[this.nFree++] = this.heap[0];
    const last = --this.n;
    if (last > 0) {
      this.heap[0] = this.heap[last];
      this.siftDown(0);
    }
    return true;
  }
}
