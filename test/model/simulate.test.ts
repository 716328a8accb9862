/**
 * The model's simulation core on small hand-made feeds, where each latency can be worked out by
 * hand from the profile's costs (all other costs zero). HDR indexes are exact below 2,048 ns, so
 * the percentiles are the values themselves.
 */
import { describe, expect, it } from 'vitest';
import { summarizeCounts } from '../../src/metrics/histogram-store.js';
import { COST_KEYS, type Costs } from '../../src/model/profile.js';
import { DROP_OFLOW, DROP_RING, simulate, type ModelInput, type ModelProcess, type ModelSocket } from '../../src/model/simulate.js';

const zero = (): Costs => Object.fromEntries(Object.keys(COST_KEYS).map((k) => [k, 0])) as Costs;

function feed(times: number[], bytes = 100, group = 0) {
  return { count: times.length, wireNs: Float64Array.from(times), group: Int32Array.from(times, () => group), bytes: Int32Array.from(times, () => bytes), messages: Int32Array.from(times, () => 1), lengthNs: times[times.length - 1] ?? 0 };
}

const proc = (o: Partial<ModelProcess> = {}): ModelProcess => ({ spins: true, core: 0, receive: 'onload', work: 'none', delayNs: 0, ring: 4096, rcvbuf: 1 << 20, ...o });

function input(o: Partial<ModelInput> & { sockets: ModelSocket[]; subscribers: ModelProcess[] }): ModelInput {
  return {
    feed: feed([0]), speed: 1, durationNs: null, loop: false, groups: [{ stacks: 0, kernel: true }], socketStack: new Int32Array(o.sockets.length),
    nicCore: 0, cores: 4, costs: zero(), perSocketLatency: true, ...o,
  };
}

const p50 = (out: ReturnType<typeof simulate>, sock: number, path: string, clock: 0 | 1) => summarizeCounts(out.counts.get(`s${sock}|${path}|${clock}`)!).p50;

describe('the kernel path: a copy into every joined socket, in turn', () => {
  it('the second socket\'s copy waits for the first: 1,200 and 1,600 ns after the send, then its recvmsg', () => {
    const costs = { ...zero(), nicPacketNs: 100, softirqNs: 800, socketDeliverNs: 400, recvmsgNs: 200 };
    const out = simulate(input({
      costs,
      sockets: [{ subscriber: 0, group: 0, path: 'kernel' }, { subscriber: 1, group: 0, path: 'kernel' }],
      subscribers: [proc({ core: 1 }), proc({ core: 2 })],
    }));
    // NIC: sent at 100. Copies: 100 + 800 + 400 = 1300, + 400 = 1700. Reads end 200 later.
    expect([p50(out, 0, 'kernel', 0), p50(out, 1, 'kernel', 0)]).toEqual([1500, 1900]);
    expect([p50(out, 0, 'kernel', 1), p50(out, 1, 'kernel', 1)]).toEqual([1400, 1800]);
    // And the NIC's own time grows with the fan-out: 100 + 800 + 2 * 400.
    expect(out.nicBusyNs).toBe(1700);
    expect(out.deliveries).toBe(2);
  });

  it('a socket buffer in bytes: what does not fit is an oflow-drop', () => {
    const costs = { ...zero(), recvmsgNs: 1e6, truesizeOverheadBytes: 900 };
    // rcvbuf 3,000: each datagram charges 100 + 900; the first is read at once, two more wait, the fourth does not fit.
    const out = simulate(input({ costs, feed: feed([0, 1, 2, 3, 4]), sockets: [{ subscriber: 0, group: 0, path: 'kernel' }], subscribers: [proc({ core: 1, rcvbuf: 3000 })] }));
    expect(out.delivered[0]).toBe(4);
    expect(out.drops[DROP_OFLOW]).toBe(1);
    expect(out.sent[0]).toBe(5);
  });
});

describe('an offloaded socket (socket-offload NIC, receive: offload)', () => {
  it('queues in a socket buffer in bytes, its rcvbuf, whatever its ring says: what does not fit is an oflow-drop', () => {
    // DESIGN §10: "a full socket queue drops the record (oflow-drop)". The NIC writes records to
    // a stream socket whose end it sizes with the subscriber's rcvbuf (src/nic/offload-port.ts),
    // so its ring (4 slots here) does not size the queue.
    const costs = { ...zero(), offloadRecvNs: 1e6, truesizeOverheadBytes: 900 };
    const out = simulate(input({
      costs, feed: feed([0, 1, 2, 3, 4, 5, 6]), groups: [{ stacks: 1, kernel: false }],
      sockets: [{ subscriber: 0, group: 0, path: 'offload' }], subscribers: [proc({ core: 1, receive: 'offload', ring: 4, rcvbuf: 3000 })],
    }));
    // As the kernel socket above: 3,000 bytes hold what waits behind the read under way at
    // 1,000 bytes each (100 + 900); four are delivered, and the other three do not fit.
    expect(out.delivered[0]).toBe(4);
    expect(out.drops[DROP_OFLOW]).toBe(3);
    expect(out.drops[DROP_RING]).toBe(0);
    expect(out.sent[0]).toBe(7);
  });
});

describe('the stack ring', () => {
  it('a ring of 4 slots overruns on the 5th unread packet', () => {
    const costs = { ...zero(), ringReadNs: 1e6 };
    // Packet 1 is being read; 2-5 fill the ring; 6 is the 5th unread: lost.
    const out = simulate(input({
      costs, feed: feed([0, 10, 20, 30, 40, 50]), groups: [{ stacks: 1, kernel: false }],
      sockets: [{ subscriber: 0, group: 0, path: 'bypass' }], subscribers: [proc({ core: 1, ring: 4 })],
    }));
    expect(out.drops[DROP_RING]).toBe(1);
    expect(out.delivered[0]).toBe(5);
    expect(out.sent[0]).toBe(6);
  });
});

describe('CPUs', () => {
  it('on one core, a spinner and an interrupt-driven reader share it: the NIC runs at half speed, the sleeper waits half a slice', () => {
    const costs = { ...zero(), nicPacketNs: 100, dmaNs: 50, dmaIssueNs: 50, ringReadNs: 100, schedSliceNs: 2000 };
    const out = simulate(input({
      costs, cores: 1, groups: [{ stacks: 1, kernel: false }],
      sockets: [{ subscriber: 0, group: 0, path: 'bypass' }, { subscriber: 1, group: 0, path: 'bypass' }],
      subscribers: [proc({ spins: true }), proc({ spins: false })],
    }));
    // NIC shares with the spinner: sent at 100 * 2 = 200, busy (100 + 50) * 2 = 300. The frame lands at 250.
    // The spinner waits for the core (300), reads 100: 400. The sleeper wakes 250 + 1000 (half a slice), reads: 1350.
    expect([p50(out, 0, 'bypass', 1), p50(out, 1, 'bypass', 1)]).toEqual([200, 1150]);
    expect(out.voluntary[1]).toBe(1);
    expect(out.voluntary[0]).toBe(0);
  });

  it('each on a core of its own, the same two see the frame 50 ns after the send, then read', () => {
    const costs = { ...zero(), nicPacketNs: 100, dmaNs: 50, dmaIssueNs: 50, ringReadNs: 100, schedSliceNs: 2000, interruptNs: 700 };
    const out = simulate(input({
      costs, cores: 3, groups: [{ stacks: 1, kernel: false }],
      sockets: [{ subscriber: 0, group: 0, path: 'bypass' }, { subscriber: 1, group: 0, path: 'bypass' }],
      subscribers: [proc({ spins: true, core: 1 }), proc({ spins: false, core: 2 })],
    }));
    expect([p50(out, 0, 'bypass', 1), p50(out, 1, 'bypass', 1)]).toEqual([150, 850]);
  });
});

describe('determinism', () => {
  it('the same input gives the same counts, bit for bit', () => {
    const costs = { ...zero(), nicPacketNs: 137, softirqNs: 911, socketDeliverNs: 333, recvmsgNs: 271, interruptNs: 5000, copyNsPerByte: 0.07, bookNsPerMessage: 80 };
    const times = Array.from({ length: 5000 }, (_, i) => Math.floor(i * 997 + ((i * 7919) % 1000)));
    const make = () => input({
      costs, feed: feed(times), sockets: [0, 1, 2].map((s) => ({ subscriber: s, group: 0, path: 'kernel' as const })),
      subscribers: [proc({ spins: false, core: 1, work: 'book' }), proc({ spins: false, core: 1 }), proc({ core: 2 })],
    });
    const a = simulate(make());
    const b = simulate(make());
    expect([...a.counts.keys()]).toEqual([...b.counts.keys()]);
    for (const [k, v] of a.counts) expect(Buffer.from(v.buffer).equals(Buffer.from(b.counts.get(k)!.buffer)), k).toBe(true);
    expect(a.endNs).toBe(b.endNs);
  });
});
