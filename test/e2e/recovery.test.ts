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

  it('recovered and unrecovered expectations need recovery on: one line naming the place', () => {
    expect(() => config({ nic: { model: 'sfn6122f' }, subscribers: [{ name: 'a', groups: ['239.100.1.1:26400'] }], expect: [{ unrecovered: 0 }] })).toThrow(/expect\[0\]: recovered and unrecovered need loss recovery: add recovery: true/);
  });
});
