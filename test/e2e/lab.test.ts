/**
 * End-to-end: real NIC and subscriber processes, real shared memory, real kernel multicast on
 * loopback. Outcomes, not timings: paths, causes, exact accounting, PIDs, clean teardown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../src/experiment/lab.js';
import { evaluate } from '../../src/experiment/expectations.js';
import { formatReport } from '../../src/experiment/report.js';
import { isPathEvent } from '../../src/experiment/snapshot.js';
import { readRegistry, liveRegistries } from '../../src/onload/registry.js';
import { config, G1, G2, G3, leftovers, membership, sleep } from '../helpers/lab.js';

const handler = (name: string, env: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  name, groups: [G1, G2], env: { EF_POLL_USEC: 0, ...env }, work: 'decode', ...extra,
});

afterEach(() => {
  expect(leftovers()).toEqual({ segments: [], processes: [] });
});

/** Every membership's account balances, and no packet is unaccounted for. */
function expectExact(s: Awaited<ReturnType<Lab['run']>>): void {
  expect(s.state).toBe('done');
  for (const sub of s.subscribers) {
    for (const m of sub.memberships) {
      const a = m.account;
      const dropped = Object.values(a.dropped).reduce((n, x) => n + (x ?? 0), 0);
      expect(a.balanced, `${sub.name} ${m.group}`).toBe(true);
      expect(a.inFlight).toBe(0);
      expect(a.sent).toBe(a.delivered.bypass + a.delivered.kernel + a.delivered.offload + dropped);
      expect(a.sent).toBeGreaterThan(0);
    }
  }
  expect(s.totals.balanced).toBe(true);
}

describe('the lab, end to end', () => {
  it('EF_NAME trap (sfn6122f, separate stacks): every packet of the shared groups reaches both handlers by the kernel, cause mcast-conflict', async () => {
    const s = await new Lab(config({ nic: { model: 'sfn6122f' }, subscribers: [handler('book1'), handler('book2')] }), { durationNs: 1.5e9 }).run();
    expectExact(s);
    for (const name of ['book1', 'book2']) {
      for (const g of [G1, G2]) {
        const m = membership(s, name, g);
        expect([m.path, m.cause]).toEqual(['kernel', 'mcast-conflict']);
        expect(m.account.delivered.bypass).toBe(0);
        // Both handlers were sent every packet of the group the NIC replayed.
        expect(m.account.sent).toBe(s.groups.find((x) => x.group === g)!.packets);
        expect(m.account.delivered.kernel + (m.account.dropped['oflow-drop'] ?? 0)).toBe(m.account.sent);
        expect(m.account.detected.oflow).toBeLessThanOrEqual(m.account.dropped['oflow-drop'] ?? 0);
      }
    }
    const fallbacks = s.events.filter((e) => isPathEvent(e) && e.kind === 'fallback');
    expect(fallbacks.map((e) => isPathEvent(e) && [e.group, e.cause])).toEqual([[G1, 'mcast-conflict'], [G2, 'mcast-conflict']]);
    const pids = s.subscribers.map((x) => x.pid);
    for (const e of fallbacks) for (const pid of pids) expect(e.message).toContain(`pid ${pid}`);
    expect(s.stacks.map((x) => x.filters)).toEqual([[], []]);
  });

  it('the fix, one EF_NAME: both handlers by bypass through one stack and one filter per group', async () => {
    const s = await new Lab(config({ subscribers: [handler('book1', { EF_NAME: 'feed' }), handler('book2', { EF_NAME: 'feed' })] }), { durationNs: 1.5e9 }).run();
    expectExact(s);
    for (const name of ['book1', 'book2']) for (const g of [G1, G2]) {
      const m = membership(s, name, g);
      expect(m.path).toBe('bypass');
      expect(m.account.delivered.kernel).toBe(0);
      expect(m.account.delivered.bypass + (m.account.dropped['ring-overrun'] ?? 0)).toBe(m.account.sent);
    }
    expect(s.stacks).toHaveLength(1);
    expect(s.stacks[0]).toMatchObject({ name: 'feed', filters: [G1, G2] });
    expect(s.stacks[0].pids.sort()).toEqual(s.subscribers.map((x) => x.pid).sort());
    expect(s.nic.kernelSends).toBe(0);
  });

  it('the other fix, replication (x2522): both handlers by bypass, one copy per stack', async () => {
    const s = await new Lab(config({ nic: { model: 'x2522' }, subscribers: [handler('book1'), handler('book2')] }), { durationNs: 1.5e9 }).run();
    expectExact(s);
    for (const name of ['book1', 'book2']) for (const g of [G1, G2]) expect(membership(s, name, g).path).toBe('bypass');
    const g1 = s.groups.find((g) => g.group === G1)!;
    expect(g1.ringWrites).toBe(2 * g1.packets); // the NIC DMAs a copy to each stack
    expect(s.stacks.map((x) => x.filters)).toEqual([[G1, G2], [G1, G2]]);
  });

  it('a process not using Onload on an accelerated group receives nothing, counted as non-onload-loss', async () => {
    const s = await new Lab(config({
      subscribers: [{ name: 'book1', groups: [G1], env: { EF_POLL_USEC: 0 } }, { name: 'risk', onload: false, groups: [G1, G3] }],
    }), { durationNs: 1.5e9 }).run();
    expectExact(s);
    const lost = membership(s, 'risk', G1);
    expect([lost.path, lost.cause]).toEqual(['lost', 'non-onload-loss']);
    expect(lost.account.dropped['non-onload-loss']).toBe(lost.account.sent);
    expect(lost.account.delivered).toEqual({ bypass: 0, kernel: 0, offload: 0 });
    expect(membership(s, 'risk', G3).path).toBe('kernel');
    expect(s.events.some((e) => isPathEvent(e) && e.kind === 'loss' && e.cause === 'non-onload-loss')).toBe(true);
  });

  it('a full filter table leaves the later groups on the kernel, cause filter-table-full', async () => {
    const s = await new Lab(config({
      nic: { model: 'x3522', filterTable: 1 },
      subscribers: [{ name: 'book1', groups: [G1, G2], env: { EF_POLL_USEC: 0 } }],
    }), { durationNs: 1.5e9 }).run();
    expectExact(s);
    expect([membership(s, 'book1', G1).path, membership(s, 'book1', G2).path, membership(s, 'book1', G2).cause]).toEqual(['bypass', 'kernel', 'filter-table-full']);
  });

  it('leaving a group ends the conflict: the remaining handler gets its filter back and reads by bypass', async () => {
    const lab = new Lab(config({ subscribers: [handler('book1'), handler('book2')] }), { durationNs: 2.5e9 });
    await lab.start();
    await sleep(800);
    await lab.leave('book2', G1);
    const s = await lab.finish();
    expectExact(s);
    const book1 = membership(s, 'book1', G1);
    expect(book1.path).toBe('bypass');
    expect(book1.account.delivered.kernel).toBeGreaterThan(0); // before the leave
    expect(book1.account.delivered.bypass).toBeGreaterThan(0); // after it
    expect(membership(s, 'book2', G1).active).toBe(false);
    expect(membership(s, 'book1', G2).cause).toBe('mcast-conflict'); // the other group is still shared
    const recovery = s.events.find((e) => isPathEvent(e) && e.kind === 'recovery');
    expect(recovery && isPathEvent(recovery) && [recovery.group, recovery.from, recovery.path]).toEqual([G1, 'kernel', 'bypass']);
  });

  it('at top speed, a leave mid-run moves the other handler from kernel to bypass and every packet is still counted on the path it took', async () => {
    // At top speed the NIC adds its members' counts once per publish batch: a steering change
    // must hand the counts so far to the paths they were sent on, not to the new ones.
    const lab = new Lab(config({ nic: { model: 'sfn6122f' }, subscribers: [handler('book1', {}, { groups: [G1] }), handler('book2', {}, { groups: [G1] })] }), { speed: 0, loop: true, durationNs: 1.6e9 });
    await lab.start();
    await sleep(700);
    await lab.leave('book2', G1);
    const s = await lab.finish();
    expectExact(s);
    const book1 = membership(s, 'book1', G1);
    expect(book1.path).toBe('bypass');
    expect(book1.account.delivered.kernel).toBeGreaterThan(0);
    expect(book1.account.delivered.bypass).toBeGreaterThan(0);
    expect(s.nic.packets).toBeGreaterThan(100_000);
    // What the NIC counted per path matches what the reader saw lost on that path: a count
    // credited to the bypass path that never went into the ring would show as ring-overrun no
    // reader detected. (A socket's oflow-drop can exceed the gaps it saw: datagrams dropped
    // after the last one it read leave no gap behind them.)
    for (const m of [book1, membership(s, 'book2', G1)]) {
      expect(m.account.dropped['ring-overrun'] ?? 0).toBe(m.account.detected.ringOverrun);
      expect(m.account.dropped['oflow-drop'] ?? 0).toBeGreaterThanOrEqual(m.account.detected.oflow);
    }
  });

  it('a leave while the NIC is off its CPU: the account is read once the NIC has applied the new table, and balances', async () => {
    // Both members read by the kernel at top speed: the NIC hands their counts over at the end of
    // each burst and when it reads a new table. Stopped (SIGSTOP), it reads the leave's table
    // only when it runs again: read before then, the leaver's account had sent 0.
    const lab = new Lab(config({ nic: { model: 'sfn6122f' }, subscribers: [handler('book1', {}, { groups: [G1] }), handler('book2', {}, { groups: [G1] })] }), { speed: 0, loop: true, durationNs: 1.6e9 });
    await lab.start();
    await sleep(500);
    const nic = lab.snapshot().nic.pid!;
    process.kill(nic, 'SIGSTOP');
    const leaving = lab.leave('book2', G1);
    await sleep(300);
    process.kill(nic, 'SIGCONT');
    await leaving;
    const s = await lab.finish();
    expectExact(s);
    expect(membership(s, 'book2', G1).account.delivered.kernel).toBeGreaterThan(0);
  });

  it('a subscriber killed while the NIC is off its CPU: its account is read once the NIC has applied the table without it, and balances', async () => {
    // The NIC hands a burst's counts to the memberships at the burst's end (1 ms at top speed).
    // Stopped mid-burst, it has sent packets to the victim that its counters do not show yet:
    // an account read at the death left them out of sent. Read once the NIC has applied the
    // table without the victim, it has them. (Two victims, one stop each: a stop that lands in
    // the moment between two bursts has nothing unflushed, and shows nothing.)
    const victims = ['book2', 'book3'];
    const lab = new Lab(config({ nic: { model: 'sfn6122f' }, subscribers: ['book1', ...victims].map((n) => handler(n, {}, { groups: [G1] })) }), { speed: 0, loop: true, durationNs: 1.8e9 });
    await lab.start();
    await sleep(400);
    const nic = lab.snapshot().nic.pid!;
    const atDeath: number[] = [];
    for (const v of victims) {
      process.kill(nic, 'SIGSTOP');
      lab.kill(v);
      await sleep(250);
      atDeath.push(membership(lab.snapshot(), v, G1).account.sent);
      process.kill(nic, 'SIGCONT');
      await sleep(150);
    }
    const s = await lab.finish();
    expectExact(s);
    const sent = victims.map((v) => membership(s, v, G1).account.sent);
    sent.forEach((n, i) => expect(n).toBeGreaterThanOrEqual(atDeath[i]));
    expect(sent.some((n, i) => n > atDeath[i])).toBe(true);
  });

  it('a group the recording never sends to is an event and a warning at once, and fails a run with expectations', async () => {
    const c = config({ nic: { model: 'x2522' }, subscribers: [{ name: 'a', groups: [G1, '239.100.9.9:26400'], env: { EF_POLL_USEC: 0 } }], expect: [{ balanced: true }] });
    const lab = new Lab(c, { durationNs: 0.5e9 });
    await lab.start();
    const early = lab.snapshot();
    expect(early.events.some((e) => !isPathEvent(e) && e.kind === 'warning' && /239\.100\.9\.9:26400: the recording \(default\.pcap\) never sends to this group, so a will receive nothing/.test(e.message))).toBe(true);
    const s = await lab.finish();
    expect(s.warnings.some((w) => /never sends to this group/.test(w))).toBe(true);
    expect(s.problems).toEqual([{ where: 'subscribers[0].groups', what: expect.stringMatching(/it does send to 239\.100\.1\.1:26400/) }]);
    const v = evaluate(c.expect, s);
    expect(v.filter((x) => !x.passed).map((x) => x.where)).toEqual(['subscribers[0].groups']);
    expect(formatReport(s)).toMatch(/^warning: 239\.100\.9\.9:26400: the recording/m);
  });

  it('a subscriber killed mid-run is reported, its stack detaches, and the run goes on', async () => {
    const lab = new Lab(config({ subscribers: [handler('book1'), handler('book2')] }), { durationNs: 2.5e9 });
    await lab.start();
    await sleep(800);
    const before = lab.snapshot().subscribers.find((x) => x.name === 'book2')!;
    const victim = before.pid!;
    const sentBefore = before.memberships.reduce((n, m) => n + m.account.sent, 0);
    lab.kill('book2');
    const s = await lab.finish();
    expect(s.state).toBe('done');
    const dead = s.subscribers.find((x) => x.name === 'book2')!;
    expect(dead).toMatchObject({ alive: false, exit: 'killed by SIGKILL' });
    const exit = s.events.find((e) => !isPathEvent(e) && e.kind === 'exit');
    expect(exit?.message).toContain(`pid ${victim}`);
    // The NIC went on sending to it until the controller heard of the death: those, and what
    // arrived after its last report, died with it.
    expect(dead.memberships.reduce((n, m) => n + m.account.sent, 0)).toBeGreaterThan(sentBefore);
    expect(dead.memberships.reduce((n, m) => n + (m.account.dropped['process-exit'] ?? 0), 0)).toBeGreaterThan(0);
    for (const m of dead.memberships) {
      expect(m.account.balanced).toBe(true);
      expect(m.account.inFlight).toBe(0);
    }
    // book1 alone on its groups now: bypass again, and its accounts exact.
    for (const g of [G1, G2]) {
      const m = membership(s, 'book1', g);
      expect(m.path).toBe('bypass');
      expect(m.account.balanced).toBe(true);
      expect(m.account.inFlight).toBe(0);
    }
    expect(s.stacks.find((x) => x.id === 1)?.live).toBe(false);
  });

  it('stackdump reads the running lab from shared memory: stack ids, names and the right PIDs', async () => {
    const lab = new Lab(config({ subscribers: [handler('book1', { EF_NAME: 'feed' }), handler('book2', { EF_NAME: 'feed' }), { name: 'solo', groups: [G3] }] }), { durationNs: 1.2e9 });
    await lab.start();
    try {
      const mine = liveRegistries().filter((n) => n.split('.')[1] === String(process.pid)).pop()!;
      const doc = readRegistry(mine);
      const pids = Object.fromEntries(lab.snapshot().subscribers.map((x) => [x.name, x.pid]));
      expect(doc.stacks.map((x) => [x.id, x.name, x.pids.sort()])).toEqual([
        [0, 'feed', [pids.book1, pids.book2].sort()],
        [1, '', [pids.solo]],
      ]);
      expect(doc.members.filter((m) => m.group === G1).map((m) => [m.subscriber, m.state])).toEqual([['book1', 'ACCELERATED'], ['book2', 'ACCELERATED']]);
    } finally {
      await lab.finish();
    }
  });

  it('two labs at once on the same groups keep to their own traffic (the lab id in each datagram)', async () => {
    const trap = () => new Lab(config({ subscribers: [handler('book1'), handler('book2')] }), { durationNs: 1.5e9 });
    const [a, b] = await Promise.all([trap().run(), trap().run()]);
    for (const s of [a, b]) {
      expectExact(s);
      for (const sub of s.subscribers) for (const m of sub.memberships) expect(m.account.delivered.kernel + (m.account.dropped['oflow-drop'] ?? 0)).toBe(m.account.sent);
    }
  });

  it('copy and zero-copy receive both deliver every packet; only copy moves payload bytes', async () => {
    const s = await new Lab(config({
      subscribers: [
        handler('copier', { EF_NAME: 'feed' }, { receive: 'copy' }),
        handler('inplace', { EF_NAME: 'feed' }, { receive: 'zero-copy' }),
      ],
    }), { durationNs: 1.5e9 }).run();
    expectExact(s);
    for (const g of [G1, G2]) {
      const copy = membership(s, 'copier', g);
      const zc = membership(s, 'inplace', g);
      expect(copy.messages).toBe(zc.messages);
      expect(copy.bytesCopied).toBeGreaterThan(20 * copy.account.delivered.bypass); // at least a MoldUDP64 header each
      expect(zc.bytesCopied).toBe(0);
    }
  });
});
