/**
 * Loss recovery in a running lab (DESIGN §13): the trap's kernel-path drops become gaps, the
 * handlers ask the lab's re-request server, and their books are whole again; a server killed
 * mid-run leaves gaps unrecovered, reported, and nothing hangs or stays behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab } from '../../src/experiment/lab.js';
import { mdlab } from '../helpers/cli.js';
import { config, leftovers, sleep } from '../helpers/lab.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const trapped = (extra: Record<string, unknown> = {}) => config({
  recovery: { timeout: '20ms' },
  nic: { model: 'sfn6122f' },
  subscribers: ['book1', 'book2'].map((name) => ({ name, groups: ['239.100.1.1:26400', '239.100.1.2:26400'], env: { EF_POLL_USEC: 0 }, work: 'book', rcvbuf: 16384 })),
  ...extra,
});

describe('loss recovery', () => {
  it('configs/experiments/trap-recovery.yaml: the trap loses packets in the burst and recovers every message; the shared stack needs none', () => {
    const out = tmp.file('recovery');
    const r = mdlab(['run', 'configs/experiments/trap-recovery.yaml', '--duration', '2s', '--out', out], {}, 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const trap = JSON.parse(readFileSync(join(out, '1-none', 'summary.json'), 'utf8'));
    const ms = trap.subscribers.flatMap((s: { memberships: unknown[] }) => s.memberships) as { account: { dropped: Record<string, number>; balanced: boolean }; recovery: { gaps: number; recovered: number; unrecovered: number; requests: number } }[];
    const dropped = ms.reduce((n, m) => n + (m.account.dropped['oflow-drop'] ?? 0), 0);
    const recovered = ms.reduce((n, m) => n + m.recovery.recovered, 0);
    expect(dropped).toBeGreaterThan(0);
    // A dropped packet's messages are recovered, and the accounts still balance (it counts as dropped too).
    expect(recovered).toBeGreaterThanOrEqual(dropped);
    expect(ms.every((m) => m.recovery.unrecovered === 0 && m.account.balanced)).toBe(true);
    expect(trap.recoveryServer.counters.messagesServed).toBeGreaterThanOrEqual(recovered);
    expect(readFileSync(join(out, '1-none', 'report.md'), 'utf8')).toMatch(/Recovery \(MoldUDP64 re-requests to the lab's server on 127\.0\.0\.1:\d+: [\d,]+ requests, [\d,]+ answered/);
    const shared = JSON.parse(readFileSync(join(out, '2-feed', 'summary.json'), 'utf8'));
    expect(shared.subscribers.flatMap((s: { memberships: { recovery: { gaps: number } }[] }) => s.memberships.map((m) => m.recovery.gaps))).toEqual([0, 0, 0, 0]);
  });

  it('a re-request server killed mid-run: gaps stay unrecovered and are reported; the run ends; nothing is left behind', async () => {
    const lab = new Lab(trapped(), { durationNs: 2.5e9 });
    await lab.start();
    await sleep(300);
    const pid = lab.snapshot().recoveryServer?.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const t = Date.now();
    const s = await lab.finish();
    expect(Date.now() - t).toBeLessThan(15_000);
    const ms = s.subscribers.flatMap((x) => x.memberships);
    expect(ms.reduce((n, m) => n + (m.recovery?.unrecovered ?? 0), 0)).toBeGreaterThan(0);
    expect(s.events.some((e) => 'kind' in e && e.kind === 'warning' && /re-request server exited/.test(e.message))).toBe(true);
    expect(s.totals.balanced).toBe(true);
    expect(leftovers()).toEqual({ segments: [], processes: [] });
  });

  it('configs/experiments/ab-arbitration.yaml: loss injected on line A is counted injected and filled from line B with no re-request; the handler on A alone re-requests; the recovery histogram is written', () => {
    const out = tmp.file('ab');
    const r = mdlab(['run', 'configs/experiments/ab-arbitration.yaml', '--duration', '2s', '--out', out], {}, 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    type M = { group: string; account: { sent: number; dropped: Record<string, number>; balanced: boolean }; recovery: { requests: number; recovered: number; unrecovered: number; gaps: number; times: { count: number }; lines: { fromA: number; fromB: number; filledByLine: number; lostOnBoth: number; delay: { count: number; p50: number } } | null } | null; arbitratedOn: string | null };
    const sub = (n: string) => s.subscribers.find((x: { name: string }) => x.name === n).memberships as M[];
    const ab = sub('bookAB');
    const a = sub('bookA');
    // The NIC dropped the same packets for both handlers: 100 in the burst plus the rate's on channel 1.
    const injected = (m: M | undefined) => m?.account.dropped.injected ?? 0;
    expect(injected(ab.find((m) => m.group === '239.100.1.1:26400'))).toBeGreaterThanOrEqual(100);
    expect(injected(ab.find((m) => m.group === '239.100.1.1:26400'))).toBe(injected(a.find((m) => m.group === '239.100.1.1:26400')));
    expect(ab.filter((m) => m.group.startsWith('239.100.2.')).every((m) => injected(m) === 0 && m.recovery === null && m.arbitratedOn?.startsWith('239.100.1.'))).toBe(true);
    expect([...ab, ...a].every((m) => m.account.balanced)).toBe(true);
    const lined = ab.filter((m) => m.recovery?.lines);
    expect(lined).toHaveLength(2);
    expect(lined.reduce((n, m) => n + m.recovery!.requests, 0)).toBe(0);
    expect(lined.reduce((n, m) => n + m.recovery!.lines!.lostOnBoth, 0)).toBe(0);
    // Line B supplied what A lost (at least the 100 packets' messages) and its copies were timed.
    expect(lined.reduce((n, m) => n + m.recovery!.lines!.fromB, 0)).toBeGreaterThanOrEqual(100);
    expect(lined.every((m) => m.recovery!.lines!.delay.count > 0 && m.recovery!.lines!.delay.p50 > 0)).toBe(true);
    expect(a.reduce((n, m) => n + m.recovery!.requests, 0)).toBeGreaterThan(0);
    expect(a.reduce((n, m) => n + m.recovery!.unrecovered, 0)).toBe(0);
    // The recovery histogram: a .hlog per recovering subscriber, and rows in percentiles.csv.
    const csv = readFileSync(join(out, 'percentiles.csv'), 'utf8').split('\n').filter((l) => l.startsWith('bookA,') && l.includes(',recovery,gap,'));
    const counted = a.reduce((n, m) => n + m.recovery!.times.count, 0);
    expect(csv.reduce((n, l) => n + Number(l.split(',')[4]), 0)).toBe(counted);
    expect(readFileSync(join(out, 'bookA.recovery.hlog'), 'utf8')).toMatch(/^Tag=239\.100\.1\.1:26400,0\.000,/m);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/A\/B lines \(first copy/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/<h2>Recovery \(MoldUDP64[\s\S]*<h2>A\/B lines \(first copy[^<]*<\/h2><table>/);
    // Recovered messages went through the book like live ones: both books, one filled from line B
    // and one from the server, are whole (no execution on an order never seen) and the same.
    const book = (n: string) => s.subscribers.find((x: { name: string }) => x.name === n).book as { orders: number; unknownRefs: number; digest: string };
    expect(book('bookAB').orders).toBeGreaterThan(0);
    expect(book('bookAB').unknownRefs).toBe(0);
    expect(book('bookA').unknownRefs).toBe(0);
    expect(book('bookAB').digest).toBe(book('bookA').digest);
  });

  it('A/B lines and drop events are validated whole, one line naming the key', () => {
    const pairs = [{ a: '239.100.1.1:26400', b: '239.100.2.1:26400' }];
    const subs = [{ name: 'a', groups: ['239.100.1.1:26400', '239.100.2.1:26400'] }];
    expect(() => config({ lines: [{ a: '239.100.1.1:26400', b: '239.100.1.1:26400' }], subscribers: subs })).toThrow(/lines\[0\]\.b: line B must be another group than line A/);
    expect(() => config({ lines: [...pairs, { a: '239.100.2.1:26400', b: '239.100.3.1:26400' }], subscribers: subs })).toThrow(/lines\[1\]\.a: 239\.100\.2\.1:26400 is already a line of lines\[0\]/);
    expect(() => config({ subscribers: subs, events: [{ drop: { line: 'A', packets: 5 } }] })).toThrow(/events\[0\]\.drop\.line: line A and B need A\/B lines/);
    expect(() => config({ lines: pairs, subscribers: subs, events: [{ drop: { packets: 5, rate: 0.1 } }] })).toThrow(/events\[0\]\.drop: expected one of packets/);
    expect(() => config({ lines: pairs, subscribers: subs, events: [{ drop: { rate: 2 } }] })).toThrow(/events\[0\]\.drop\.rate: expected a probability/);
    expect(() => config({ lines: pairs, subscribers: subs, events: [{ at: '1s', drop: { group: '239.100.9.9:26400', packets: 5 } }] })).toThrow(/events\[0\]\.drop: 239\.100\.9\.9:26400 .* is not a group any subscriber joins/);
    expect(() => config({ subscribers: subs, expect: [{ lostOnBoth: 0 }] })).toThrow(/expect\[0\]: lostOnBoth and filledByLine need A\/B lines/);
    const ok = config({ lines: { wait: '5ms', pairs }, subscribers: subs, events: [{ drop: { line: 'B', rate: 0.001 } }] });
    expect(ok.lines.waitNs).toBe(5e6);
    expect(ok.events[0]).toMatchObject({ atNs: 0, action: 'drop', drop: { groups: ['239.100.2.1:26400'], rate: 0.001 } });
  });

  it('recovered and unrecovered expectations need recovery on: one line naming the place', () => {
    expect(() => config({ nic: { model: 'sfn6122f' }, subscribers: [{ name: 'a', groups: ['239.100.1.1:26400'] }], expect: [{ unrecovered: 0 }] })).toThrow(/expect\[0\]: recovered, unrecovered, requests and recovery need loss recovery or A\/B lines: add recovery: true/);
  });
});
