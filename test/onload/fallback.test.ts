/**
 * The fallback rules of DESIGN §2, one test per rule, each citing the real system's source.
 */
import { describe, expect, it } from 'vitest';
import { decide, EMPTY_STEERING, type Filter, type KernelReason, type Member, type Steering } from '../../src/onload/fallback.js';
import { pathEvents } from '../../src/onload/path-events.js';
import { NIC_MODELS } from '../../src/nic/models.js';

const G1 = '239.100.1.1:26400';
const G2 = '239.100.1.2:26400';
let nextId = 0;
function member(subscriber: string, group: string, stack: number | null, kernelReason: KernelReason = stack === null ? 'not-onload' : null): Member {
  return { id: nextId++, subscriber, pid: 1000 + nextId, group, stack, stackName: stack === null ? null : `#${stack}`, kernelReason };
}
const paths = (s: Steering, ms: Member[]) => ms.map((m) => [m.subscriber, s.decisions.get(m.id)!.path, s.decisions.get(m.id)!.cause]);
const siena = NIC_MODELS.sfn6122f;
const x2522 = NIC_MODELS.x2522;

describe('fallback rules (DESIGN §2)', () => {
  it('a socket offloaded to a socket-offload NIC takes path offload: no host filter, no kernel copy (DESIGN §10, the Intel iNIC / TOE design)', () => {
    const inic = NIC_MODELS.inic;
    const off = { ...member('off', G1, null, null), offload: true };
    const ring = member('zc', G1, 1);
    const kern = member('kern', G1, null);
    const s = decide(inic, 4096, [off, ring, kern], []);
    expect(paths(s, [off, ring, kern])).toEqual([['off', 'offload', null], ['zc', 'bypass', null], ['kern', 'kernel', null]]);
    expect(s.filters).toEqual([{ group: G1, stack: 1 }]);
    // Alone, the offloaded socket needs nothing from the host: no filter, no kernel copy.
    const alone = decide(inic, 4096, [off], []);
    expect(alone.filters).toEqual([]);
    expect(alone.groups.get(G1)).toBeUndefined(); // the host steers nothing for it
    expect(alone.decisions.get(off.id)).toEqual({ path: 'offload', cause: null });
  });

  it('one stack joined: filter installed, bypass (oof_filters.c: oof_mcast_install)', () => {
    const a = member('book1', G1, 1);
    const s = decide(siena, 4096, [a], []);
    expect(paths(s, [a])).toEqual([['book1', 'bypass', null]]);
    expect(s.filters).toEqual([{ group: G1, stack: 1 }]);
    expect(s.groups.get(G1)).toMatchObject({ stacks: [1], kernel: false, conflict: false });
  });

  it('two stacks on a NIC without replication: conflict, every member on the kernel (oof_mcast_conflicted_hwports; UG "Multicast-Replication")', () => {
    const a = member('book1', G1, 1);
    const b = member('book2', G1, 2);
    const s = decide(siena, 4096, [a, b], [{ group: G1, stack: 1 }]);
    expect(paths(s, [a, b])).toEqual([['book1', 'kernel', 'mcast-conflict'], ['book2', 'kernel', 'mcast-conflict']]);
    expect(s.filters).toEqual([]); // the existing filter is removed, none installed
    expect(s.groups.get(G1)).toMatchObject({ stacks: [], kernel: true, conflict: true });
  });

  it('the same on AF_XDP, which cannot replicate either (DESIGN §4)', () => {
    const a = member('book1', G1, 1);
    const b = member('book2', G1, 2);
    expect(paths(decide(NIC_MODELS.af_xdp, 64, [a, b], []), [a, b]).map((p) => p[2])).toEqual(['mcast-conflict', 'mcast-conflict']);
  });

  it('a member leaves and one stack remains: its filter is restored (oof_mcast_remove)', () => {
    const a = member('book1', G1, 1);
    const b = member('book2', G1, 2);
    const conflict = decide(siena, 4096, [a, b], []);
    const after = decide(siena, 4096, [a], conflict.filters);
    expect(paths(after, [a])).toEqual([['book1', 'bypass', null]]);
    expect(after.filters).toEqual([{ group: G1, stack: 1 }]);
  });

  it('two stacks on a NIC with replication: a filter and a copy for each (UG "Multicast-Replication")', () => {
    const a = member('book1', G1, 1);
    const b = member('book2', G1, 2);
    const s = decide(x2522, 16384, [a, b], []);
    expect(paths(s, [a, b])).toEqual([['book1', 'bypass', null], ['book2', 'bypass', null]]);
    expect(s.groups.get(G1)).toMatchObject({ stacks: [1, 2], kernel: false });
  });

  it('several processes sharing one stack (EF_NAME): one filter, every socket bypass (UG "Stack-Sharing"; udp_rx.c)', () => {
    const a = member('book1', G1, 7);
    const b = member('book2', G1, 7);
    const s = decide(siena, 4096, [a, b], []);
    expect(paths(s, [a, b])).toEqual([['book1', 'bypass', null], ['book2', 'bypass', null]]);
    expect(s.filters).toEqual([{ group: G1, stack: 7 }]);
  });

  it('filter table full: the new socket stays in the kernel, EF_NO_FAIL=1 (UG "Resources")', () => {
    const a = member('book1', G1, 1);
    const b = member('book1', G2, 1);
    const s = decide(siena, 1, [a, b], []);
    expect(paths(s, [a, b])).toEqual([['book1', 'bypass', null], ['book1', 'kernel', 'filter-table-full']]);
    expect(s.refused).toEqual([{ group: G2, stack: 1 }]);
    expect(s.groups.get(G2)).toMatchObject({ stacks: [], kernel: true });
  });

  it('filter table full on a replicating NIC: the stack without a filter reads through the kernel, which gets its own copy', () => {
    const a = member('book1', G1, 1);
    const b = member('book2', G1, 2);
    const s = decide(x2522, 1, [a, b], []);
    expect(paths(s, [a, b])).toEqual([['book1', 'bypass', null], ['book2', 'kernel', 'filter-table-full']]);
    expect(s.groups.get(G1)).toMatchObject({ stacks: [1], kernel: true });
  });

  it('an installed filter keeps its place; a freed slot goes to the socket that waited (join order)', () => {
    const a = member('a', G1, 1);
    const b = member('b', G2, 2);
    const first = decide(siena, 1, [a, b], []);
    expect(first.filters).toEqual([{ group: G1, stack: 1 }]);
    const afterLeave = decide(siena, 1, [b], first.filters);
    expect(paths(afterLeave, [b])).toEqual([['b', 'bypass', null]]);
  });

  it('a process not using Onload joined to a group Onload accelerates receives nothing (UG "Multicast-Receive-to-Onload-or-Kernel-Stack")', () => {
    const a = member('book1', G1, 1);
    const risk = member('risk', G1, null);
    const s = decide(siena, 4096, [a, risk], []);
    expect(paths(s, [a, risk])).toEqual([['book1', 'bypass', null], ['risk', 'lost', 'non-onload-loss']]);
    expect(s.groups.get(G1)!.kernel).toBe(false);
  });

  it('...but with replication the kernel gets its own copy, so the kernel socket receives', () => {
    const a = member('book1', G1, 1);
    const risk = member('risk', G1, null);
    expect(paths(decide(x2522, 16384, [a, risk], []), [a, risk])).toEqual([['book1', 'bypass', null], ['risk', 'kernel', null]]);
  });

  it('...and where the group already goes to the kernel (a conflict), every kernel socket gets it', () => {
    const a = member('book1', G1, 1);
    const b = member('book2', G1, 2);
    const risk = member('risk', G1, null);
    expect(paths(decide(siena, 4096, [a, b, risk], []), [risk])).toEqual([['risk', 'kernel', null]]);
  });

  it('a non-Onload process alone on a group reads it through the kernel', () => {
    const risk = member('risk', G1, null);
    expect(paths(decide(siena, 4096, [risk], []), [risk])).toEqual([['risk', 'kernel', null]]);
  });

  it('EF_DONT_ACCELERATE=1 and EF_MCAST_RECV=0 keep the socket in the kernel (UG "Parameter Reference")', () => {
    const a = member('a', G1, 1, 'not-accelerated');
    const b = member('b', G2, 2, 'mcast-recv-off');
    const s = decide(siena, 4096, [a, b], []);
    expect(paths(s, [a, b])).toEqual([['a', 'kernel', 'not-accelerated'], ['b', 'kernel', 'mcast-recv-off']]);
    expect(s.filters).toEqual([]);
  });

  it('a kernel-only socket beside an accelerated stack on a non-replicating NIC loses the group', () => {
    const a = member('a', G1, 1);
    const b = member('b', G1, 2, 'not-accelerated');
    expect(paths(decide(siena, 4096, [a, b], []), [a, b])).toEqual([['a', 'bypass', null], ['b', 'lost', 'non-onload-loss']]);
  });
});

describe('path events', () => {
  const ctx = { nic: siena, filterTable: 4096, atMs: 812 };

  it('the EF_NAME trap: one fallback event naming both stacks and PIDs, with the fix', () => {
    const a = member('book1', G1, 1);
    const s1 = decide(siena, 4096, [a], []);
    const e1 = pathEvents(ctx, EMPTY_STEERING, s1, [a], []);
    expect(e1).toMatchObject([{ kind: 'accelerated', group: G1, from: 'none', path: 'bypass' }]);
    const b = member('book2', G1, 2);
    const s2 = decide(siena, 4096, [a, b], s1.filters);
    const events = pathEvents(ctx, s1, s2, [a, b], []);
    const fallback = events.filter((e) => e.kind === 'fallback');
    expect(fallback).toHaveLength(1); // book1 from bypass and book2 from none, told as one
    expect(fallback[0].subscribers.map((x) => x.name)).toEqual(['book1', 'book2']);
    expect(fallback[0].from).toBe('bypass');
    for (const e of fallback) {
      expect(e).toMatchObject({ atMs: 812, group: G1, path: 'kernel', cause: 'mcast-conflict' });
      expect(e.message).toContain(`stack 1 (book1, pid ${a.pid})`);
      expect(e.message).toContain(`stack 2 (book2, pid ${b.pid})`);
      expect(e.fix).toMatch(/^EF_NAME=feed on book1 and book2 \(one shared stack\), or a NIC with multicast replication/);
    }
  });

  it('a leave that ends a conflict: a left event and a recovery event', () => {
    const a = member('book1', G1, 1);
    const b = member('book2', G1, 2);
    const s1 = decide(siena, 4096, [a, b], []);
    const s2 = decide(siena, 4096, [a], s1.filters);
    const events = pathEvents(ctx, s1, s2, [a], [b]);
    expect(events.map((e) => [e.kind, e.subscribers.map((s) => s.name), e.from, e.path])).toEqual([
      ['recovery', ['book1'], 'kernel', 'bypass'],
      ['left', ['book2'], 'kernel', 'none'],
    ]);
    expect(events[0].message).toMatch(/filter is restored/);
  });

  it('no event when nothing changed', () => {
    const a = member('book1', G1, 1);
    const s1 = decide(siena, 4096, [a], []);
    expect(pathEvents(ctx, s1, decide(siena, 4096, [a], s1.filters), [a], [])).toEqual([]);
  });

  it('silent loss is an event with its cause and fix', () => {
    const a = member('book1', G1, 1);
    const risk = member('risk', G1, null);
    const s = decide(siena, 4096, [a, risk], []);
    const e = pathEvents(ctx, EMPTY_STEERING, s, [a, risk], []).find((x) => x.kind === 'loss')!;
    expect(e).toMatchObject({ cause: 'non-onload-loss', path: 'lost' });
    expect(e.message).toMatch(/risk \(pid \d+, not Onload\) joined .* receives nothing/);
    expect(e.fix).toMatch(/run risk under Onload/);
  });
});
