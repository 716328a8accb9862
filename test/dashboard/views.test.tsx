/**
 * The dashboard's views, drawn from a fixture snapshot (a real run of configs/default.yaml,
 * its PIDs fixed) into a fake terminal: no lab runs here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { LabSnapshot } from '../../src/experiment/snapshot.js';
import { App } from '../../src/dashboard/App.js';
import { themeFor } from '../../src/dashboard/theme.js';
import { INITIAL_UI, stepSpeed, uiReducer, type UiState } from '../../src/dashboard/ui-state.js';
import { contrastIndex, fmtClock, matrixModel, recoveryLine, recoverySummary, timelineModel } from '../../src/dashboard/view-model.js';
import { fittingKeys } from '../../src/dashboard/components/Footer.js';
import { ROOT } from '../helpers/shared.js';
import { loadConfig } from '../../src/experiment/config.js';
import { snapshotPlan } from '../../src/experiment/plan.js';

const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'default-snapshot.json'), 'utf8')) as LabSnapshot;
const plain = themeFor({ NO_COLOR: '1' });
// eslint-disable-next-line no-control-regex
const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

function frame(ui: Partial<UiState> = {}, width = 80, height = 24, snapshot: LabSnapshot = fixture): string[] {
  const { lastFrame, unmount } = render(<App snapshot={snapshot} ui={{ ...INITIAL_UI, ...ui }} theme={plain} width={width} height={height} history={new Map([['quotes', [1000, 2000, 5000, 3000]]])} />);
  const out = strip(lastFrame() ?? '').split('\n');
  unmount();
  return out;
}

describe('dashboard views (ink-testing-library, fixture snapshot)', () => {
  it('at 80 columns the key hints always end with ? help and q quit; the selected group is marked; the clock never reads :60', () => {
    const lines = frame({ group: 1 });
    expect(lines.at(-1)).toMatch(/\? help +q quit\s*$/);
    expect(fittingKeys(40, false).map(([k]) => k)).toEqual(['space', '+/-', '?', 'q']);
    expect(lines.join('\n')).toMatch(/>239\.100\.1\.2/);
    expect(lines.join('\n')).not.toMatch(/>239\.100\.1\.1 /);
    expect(fmtClock(59_960)).toBe('01:00.0');
    expect(fmtClock(119_951)).toBe('02:00.0');
    expect(fmtClock(61_240)).toBe('01:01.2');
  });

  it('fits 80×24 and says which config, NIC and recording are running', () => {
    const lines = frame();
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^ mdlab {2}default\.yaml · NIC sfn6122f \(no multic.* \[HOST \?\] ▶ 1× 00:03\.0 \/ 00:04\.0$/);
  });

  it('the percentile line reaches max, at 80 and at 160 columns (two panels of 80)', () => {
    for (const [w, h] of [[80, 24], [160, 48]] as const) {
      const text = frame({}, w, h).join('\n');
      expect(text, `${w}×${h}`).toMatch(/kernel +p50 +[\d.]+[µm]?s .*max +[\d.]+[µm]?s +n [\d.]+k?/);
    }
  });

  it('at 80×24 with 6 subscribers the matrix scrolls to keep the selected one in view, and marks it', () => {
    const extra = fixture.subscribers.map((x, i) => ({ ...x, name: `s${i + 4}` }));
    const six = { ...fixture, subscribers: [...fixture.subscribers, ...extra], config: { ...fixture.config, plan: undefined } };
    const first = frame({ subscriber: 0 }, 80, 24, six).join('\n');
    expect(first).toMatch(/book1 +book2/);
    expect(first).toMatch(/›/);
    const last = frame({ subscriber: 5 }, 80, 24, six);
    const header = last.find((l) => l.includes('Paths'))!;
    expect(header).toMatch(/ s6/);
    expect(header).not.toMatch(/book1/);
    expect(header).toMatch(/‹/);
    for (const l of last) expect(l.length, l).toBeLessThanOrEqual(80);
  });

  it('the first frame, before any process is up, already draws the config and its path matrix', () => {
    const starting = { ...fixture, state: 'starting' as const, subscribers: [], events: [], config: { ...fixture.config, plan: [{ subscriber: 'book1', groups: ['239.100.1.1:26400', '239.100.1.2:26400'] }, { subscriber: 'quotes', groups: ['239.100.1.3:26400'] }] } };
    const m = matrixModel(starting);
    expect(m.subscribers).toEqual(['book1', 'quotes']);
    expect(m.rows[0].cells.map((c) => c.letter)).toEqual(['…', '·']);
    expect(m.rows[2].cells.map((c) => c.letter)).toEqual(['·', '…']);
    expect(frame({}, 80, 24, starting).join('\n')).toMatch(/239\.100\.1\.1 +… +·/);
  });

  it('the first frame draws the planned stacks and the paths the fallback core expects, marked ?, for the shipped default config', () => {
    const config = loadConfig(join(ROOT, 'configs', 'default.yaml'));
    const starting = { ...fixture, state: 'starting' as const, subscribers: [], events: [], config: { ...fixture.config, plan: snapshotPlan(config) } };
    const text = frame({}, 80, 24, starting).join('\n');
    // The trap: book1 and book2 in stacks 0 and 1 expect the kernel; quotes in stack 2 expects bypass.
    expect(text).toMatch(/239\.100\.1\.1 +K\? st0 K\? st1 ·/);
    expect(text).toMatch(/239\.100\.1\.3 +· +· +B\? st2/);
    expect(text).toMatch(/\? expected, the lab is starting/);
  });

  it('the host badge reads without colour, and a contended run says why on screen', () => {
    const health = { verdict: 'contended' as const, reasons: ['quotes waited 38% of its time on a run queue for a CPU on CPU 1'], sampledMs: 3000, cores: 2, processes: [], nicLag: null, outsideCores: 1.2, stealShare: 0, foreignDatagrams: 0 };
    const contended = frame({}, 80, 24, { ...fixture, host: health });
    expect(contended[0]).toContain('[HOST CONTENDED]');
    expect(contended.join('\n')).toContain('host contended: quotes waited 38% of its time on a run queue');
    const clean = frame({}, 80, 24, { ...fixture, host: { ...health, verdict: 'clean', reasons: [] } });
    expect(clean[0]).toContain('[HOST CLEAN]');
    expect(clean.join('\n')).not.toContain('host contended');
  });

  it('the path matrix reads without colour: K and B letters, with the stack', () => {
    const lines = frame().join('\n');
    expect(lines).toMatch(/Paths :26400 +book1 +book2 +quotes/);
    expect(lines).toMatch(/239\.100\.1\.1 +K st1 +K st2 +· /);
    expect(lines).toMatch(/239\.100\.1\.3 +· +· +B st3/);
    expect(lines).toMatch(/B bypass K kernel L lost/);
  });

  it('the fallback event shows its cause, the stacks and PIDs, and the fix', () => {
    const text = frame().join('\n');
    expect(text).toMatch(/\+0\.000s 239\.100\.1\.1 \+1 group → kernel/);
    expect(text).toMatch(/mcast-conflict \(NIC cannot replicate\):/);
    expect(text).toMatch(/book1 st1 pid 4312,/);
    expect(text).toMatch(/book2 st2 pid 4313/);
    expect(text).toMatch(/Fix: EF_NAME=feed on book1 and book2/);
  });

  it('the latency panel: percentiles per path and log-scaled bars, for the chosen clock and window', () => {
    const lines = frame();
    const text = lines.join('\n');
    expect(text).toMatch(/book1 · pid 4312 · stack 1 · interrupt-driven · sched·last/);
    expect(text).toMatch(/ kernel p50 +[\d.]+(µs|ms) +p90/);
    expect(text).toMatch(/ bypass no packets/);
    expect(lines.some((l) => /<100µs +█+/.test(l))).toBe(true);
    expect(frame({ clock: 'sent', window: 'total' }).join('\n')).toMatch(/interrupt-driven · send·run/);
    expect(frame({ clock: 'sent', window: 'total' }, 120, 30).join('\n')).toMatch(/wire→app · NIC send · whole run/);
  });

  it('the comparison line and the accounting totals', () => {
    const text = frame().join('\n');
    expect(text).toMatch(/p50\/p99 +book1 K [\d.]+(µs|ms)\/[\d.]+(µs|ms) +book2 K .* quotes B [\d.]+µs/);
    expect(text).toMatch(/sent [\d.]+k = bypass [\d.]+k \+ kernel [\d.]+k \+ dropped/);
    expect(text).toMatch(/space pause +\+\/- speed/);
  });

  it('at 160×48 shows two histograms side by side, the selected and one on the other path', () => {
    const lines = frame({}, 160, 48);
    expect(lines.length).toBeLessThanOrEqual(48);
    expect(lines.some((l) => /book1 · pid 4312.*quotes · pid 4314/.test(l))).toBe(true);
    expect(lines.join('\n')).toMatch(/stack 1 \(book1, pid 4312\) and stack 2 \(book2, pid 4313\) joined/);
    expect(lines.some((l) => /≤50µs/.test(l))).toBe(true); // the engine's 1-2-5 buckets
  });

  it('the stacks view is the stackdump', () => {
    const text = frame({ view: 'stacks' }).join('\n');
    expect(text).toMatch(/#stack-id stack-name +pids/);
    expect(text).toMatch(/^│ 1 +- +4312/m);
    // A KERNEL socket shows what it read through the kernel (os=), as onload_stackdump does, not "delivered 0".
    expect(text).toMatch(/book1 +pid 4312 +239\.100\.1\.1:26400 +KERNEL +tot_pkts 0 +os=5[.,]?\d*k?/);
    expect(text).toMatch(/quotes +pid 4314 +239\.100\.1\.3:26400 +ACCELERATED/);
  });

  it('the overheads view: copies and protocol processing by construction, then what was measured', () => {
    const text = frame({ view: 'overheads' }, 160, 30).join('\n');
    expect(text).toMatch(/Overheads · copies, protocol processing, context switches/);
    // book1 is an Onload socket trapped on the kernel path: its packets pay the kernel's costs.
    expect(text).toMatch(/book1 +onload +kernel +kernel buffer, then application +host kernel +│/);
    expect(text).toMatch(/quotes +onload +bypass +payload into the application +stack library in the process +│/);
  });

  it('loss recovery and A/B lines: the panel\'s recovery line and the subscribers view\'s columns (gaps, recovered, recovery p99, A/B win share)', () => {
    const s = structuredClone(fixture) as LabSnapshot;
    const times = { count: 4, p50: 40_000, p99: 465_300, max: 465_300 };
    const m0 = s.subscribers[0].memberships[0];
    m0.recovery = { gaps: 6, requests: 0, recovered: 10, duplicates: 5422, droppedPastGap: 0, unrecovered: 0, fromServer: 0, server: true, times, lines: { b: '239.100.2.1:26400', fromA: 966, fromB: 34, filledByLine: 6, lostOnBoth: 0, skipped: 0, delay: { count: 900, p50: 30_000, p99: 90_000, max: 400_000 } } };
    // At 80 columns the panel holds the counts, the p99 and the win share; the rest when wide.
    const narrow = frame({}, 80, 24, s);
    expect(narrow.length).toBeLessThanOrEqual(24);
    expect(narrow.join('\n')).toMatch(/recovery: 6 gaps, 10 rec, 0 unrec, 0 req, p99 465\.3µs · A\/B 96\.6%\/3\.4%/);
    expect(recoveryLine(recoverySummary(s.subscribers[0])!)).toBe('recovery: 6 gaps, 10 rec, 0 unrec, 0 req, p99 465.3µs · A/B 96.6%/3.4%, 6 filled by other line, 0 lost on both');
    // Without recovery there is no such line.
    expect(frame({}, 160, 48).join('\n')).not.toMatch(/recovery: \d+ gaps/);
    const subs = frame({ view: 'subscribers' }, 160, 30, s).join('\n');
    expect(subs).toMatch(/recov +rec p99 +A won/);
    expect(subs).toMatch(/book1 .* 10 +465\.3µs +97%/);
  });

  it('at 80 columns the subscribers view keeps max and the sparkline, and the overheads view its measured columns (ctxsw, cpu, p50, p99)', () => {
    const subs = frame({ view: 'subscribers' }, 80, 24);
    for (const l of subs) expect(l.length, l).toBeLessThanOrEqual(80);
    const text = subs.join('\n');
    expect(text).toMatch(/│ subscriber +bypass +kernel +dropped +gaps +p50 +p99 +max +trend │/);
    expect(text).toMatch(/│ quotes .* 5\.18ms +▁▄█▆ +│/);
    const over = frame({ view: 'overheads' }, 80, 24);
    for (const l of over) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(over.join('\n')).toMatch(/│ subscriber mode +path +│ B copied +ctx\/1k v\+i +cpu µs +p50 +p99│/);
    expect(over.join('\n')).toMatch(/│ quotes +onload +bypass +│ +57 .*µs +[\d.]+ms│/);
    // What each mode copies, by construction, wraps below instead of being cut.
    expect(over.join('\n')).toMatch(/ef_vi: the application parses raw frames/);
  });

  it('at 160×48 the events take the rows they need, the histograms every bucket, and the subscribers table the rest; at 240 columns a third panel', () => {
    const big = frame({}, 160, 48);
    expect(big.length).toBeLessThanOrEqual(48);
    const text = big.join('\n');
    expect(text).toMatch(/≤250ns[\s\S]*>10s/);
    expect(text).toMatch(/│ subscriber pid +bypass +kernel +offload/);
    // The events box ends right after its one event's fix: no run of blank rows inside it.
    const fix = big.findIndex((l) => /Fix: EF_NAME=feed/.test(l));
    const bottom = big.findIndex((l, i) => i > fix && l.startsWith('└'));
    expect(bottom - fix).toBeLessThanOrEqual(3);
    const wide = frame({}, 240, 60);
    const titles = wide.find((l) => /book1 · pid 4312/.test(l))!;
    expect(titles).toMatch(/book1 · pid 4312 .*quotes · pid 4314 .*book2 · pid 4313/);
  });

  it('the subscribers view: one line each, with a sparkline of p99', () => {
    const text = frame({ view: 'subscribers', subscriber: 2 }, 120, 30).join('\n');
    expect(text).toMatch(/quotes +4314 .*[▁▂▃▄▅▆▇█]{4}/);
  });

  it('help lists the keys', () => {
    expect(frame({ help: true }).join('\n')).toMatch(/k +kill the selected subscriber \(SIGKILL\)/);
  });

  it('NO_COLOR: no colour codes at all', () => {
    const { lastFrame, unmount } = render(<App snapshot={fixture} ui={INITIAL_UI} theme={plain} width={80} height={24} history={new Map()} />);
    expect(lastFrame()).not.toMatch(/\x1b\[3[0-9]m|\x1b\[9[0-9]m/);
    unmount();
  });

  it('says it is starting before the first snapshot', () => {
    const { lastFrame, unmount } = render(<App snapshot={null} ui={INITIAL_UI} theme={plain} width={80} height={24} history={new Map()} />);
    expect(lastFrame()).toMatch(/starting the lab/);
    unmount();
  });
});

describe('dashboard state and view model', () => {
  it('keys step through subscribers, views, clocks and windows', () => {
    let s = INITIAL_UI;
    s = uiReducer(s, { type: 'previous-subscriber', count: 3 });
    expect(s.subscriber).toBe(2);
    s = uiReducer(uiReducer(s, { type: 'next-view' }), { type: 'next-view' });
    expect(s.view).toBe('subscribers');
    expect(uiReducer(s, { type: 'toggle-clock' }).clock).toBe('sent');
    expect(uiReducer(s, { type: 'toggle-window' }).window).toBe('total');
  });

  it('speed steps from 0.25× to 16× then top speed, and back', () => {
    expect(stepSpeed(1, 1)).toBe(2);
    expect(stepSpeed(16, 1)).toBe(0);
    expect(stepSpeed(0, 1)).toBe(0);
    expect(stepSpeed(0, -1)).toBe(16);
    expect(stepSpeed(0.25, -1)).toBe(0.25);
    expect(stepSpeed(3, 1)).toBe(4);
  });

  it('tells simultaneous per-group events once, newest first', () => {
    const items = timelineModel(fixture.events);
    expect(items).toHaveLength(1);
    expect(items[0].headline).toBe('239.100.1.1 +1 group → kernel');
    expect(matrixModel(fixture).port).toBe('26400');
    expect(contrastIndex(fixture, 0)).toBe(2);
  });
});
