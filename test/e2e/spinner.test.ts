/**
 * A spinning subscriber (EF_POLL_USEC) between its poll loop and Node's event loop. Outcomes, not
 * timings: what it allocates shows in its garbage collections, counted by the process itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../src/experiment/lab.js';
import { config, G1, G2, G3, leftovers } from '../helpers/lab.js';
import { SUBSCRIBER_SEMI_SPACE_MB } from '../../src/experiment/children.js';

const G4 = '239.100.1.4:26400';

afterEach(() => {
  expect(leftovers()).toEqual({ segments: [], processes: [] });
});

describe('garbage collections, counted per subscriber (gc.minor, gc.major, liveHeap) and for the NIC (nic.gc)', () => {
  it('a spinner that reads every socket from its poll loop yields seldom, and so makes little garbage; one whose sockets are dgram keeps yielding every 20 µs', async () => {
    // Each turn of the event loop is an Immediate and its async context (~300 bytes): at a turn
    // every 20 µs, ~15 MB/s, a scavenge every ~0.1 s in a 2 MB young generation. Rings and the
    // addon's kernel sockets need no turn: that spinner yields every 4 ms. Node's dgram sockets
    // are heard only on the event loop: that spinner's turns, and garbage, stay.
    const seconds = 3;
    const s = await new Lab(config({
      subscribers: [
        { name: 'polled', groups: [G1, G2], env: { EF_POLL_USEC: 100000, EF_NAME: 'a' }, work: 'book' },
        { name: 'dgram', groups: [G3, G4], env: { EF_POLL_USEC: 100000, EF_NAME: 'b' }, work: 'book', kernelSocket: 'node' },
      ],
    }), { durationNs: seconds * 1e9 }).run();
    expect(s.state).toBe('done');
    const [polled, dgram] = ['polled', 'dgram'].map((n) => s.subscribers.find((x) => x.name === n)!);
    for (const x of [polled, dgram]) {
      expect(x.spinning, x.name).toBe(true);
      expect(x.memberships.every((m) => m.account.delivered.bypass > 0 && m.account.balanced), x.name).toBe(true);
      expect(x.gc, `${x.name}: counted from its first packet`).not.toBeNull();
    }
    const gcs = JSON.stringify([polled.gc, dgram.gc]);
    // Its garbage, at most 2 MB a second, in scavenges of its young generation (children.ts). As
    // a ratio: on a busy host both spin less, and scavenge less.
    const youngMb = Number(process.env.MDLAB_SEMI_SPACE_MB ?? SUBSCRIBER_SEMI_SPACE_MB) || 16;
    expect(polled.gc!.minor * youngMb, gcs).toBeLessThanOrEqual(2 * seconds);
    expect(dgram.gc!.minor, gcs).toBeGreaterThan(2 * Math.max(1, polled.gc!.minor));
    // Every full GC since the first packet left its live heap in the result.
    for (const x of [polled, dgram]) {
      expect(x.liveHeap?.length, x.name).toBe(x.gc!.major);
      for (const h of x.liveHeap ?? []) expect(h.bytes).toBeGreaterThan(1 << 20);
    }
  }, 60_000);

  it('the NIC and a spinning reader at top speed make next to no garbage once compiled: their scavenges over a second and a half of a million packets and more stay few', async () => {
    // Its hot path allocates nothing per packet. Its times were object fields once: they turned
    // from small integers to doubles mid-run, V8 changed the NIC's hidden class, and its loop ran
    // in the interpreter (boxing every double, ~170 MB/s of garbage) until compiled again.
    const lab = new Lab(config({ nic: { model: 'x2522' }, subscribers: [{ name: 'fast', groups: [G1, G2], env: { EF_POLL_USEC: 100000 }, work: 'none', ring: 65536 }] }), { speed: 0, loop: true, durationNs: 2.5e9 });
    await lab.start();
    await new Promise((r) => setTimeout(r, 1000));
    const warmSnapshot = lab.snapshot();
    const warm = warmSnapshot.nic;
    const warmSub = warmSnapshot.subscribers[0];
    const s = await lab.finish();
    expect(s.state).toBe('done');
    expect(s.subscribers[0].memberships.every((m) => m.account.balanced)).toBe(true);
    const packets = s.nic.packets - warm.packets;
    const minor = s.nic.gc!.minor - warm.gc!.minor;
    const why = JSON.stringify({ packets, warm: warm.gc, end: s.nic.gc, maxGcNs: s.nic.maxGcNs });
    // On a busy host it sends fewer: the bound is per packet as well as per second.
    expect(packets, why).toBeGreaterThan(200_000);
    // 2 MB of young generation a scavenge: two in the window is at most ~4 bytes a packet.
    expect(minor, why).toBeLessThanOrEqual(Math.max(2, Math.ceil(packets / 1e6)));
    expect(s.host.processes.find((p) => p.role === 'nic')?.maxGcNs, why).toBe(s.nic.maxGcNs);
    // So does the reader's poll loop, once compiled. (Its yield, setImmediate, had no type
    // feedback when the loop was compiled in about 1 top-speed run of 5, and the loop then ran
    // uncompiled to the end: a scavenge every ~35 ms.)
    const readerMinor = s.subscribers[0].gc!.minor - warmSub.gc!.minor;
    expect(readerMinor, JSON.stringify({ packets, warm: warmSub.gc, end: s.subscribers[0].gc })).toBeLessThanOrEqual(Math.max(2, Math.ceil(packets / 1e6)));
  }, 60_000);
});
