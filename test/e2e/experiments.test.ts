/**
 * The shipped experiments, run as a user runs them: each passes its own expectations. Result
 * files are complete, and the HdrHistogram logs decode back to the summary's percentiles.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { mdlab } from '../helpers/cli.js';
import { ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();

describe('configs/experiments', () => {
  it('the EF_NAME trap sweep: four points, each passing its expectations, a result per point and a table', () => {
    const out = join(tmp.dir, 'sweep');
    const r = mdlab(['run', 'configs/experiments/ef-name-trap-sweep.yaml', '--out', out, '--duration', '1500ms'], {}, 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1 +sfn6122f +\(none\) +kernel .*5 ok$/m);
    expect(r.stdout).toMatch(/^2 +sfn6122f +feed +bypass .* ok$/m);
    expect(r.stdout).toMatch(/^4 +x2522 +feed +bypass .* ok$/m);
    expect(readdirSync(out).sort()).toEqual(['1-sfn6122f-none', '2-sfn6122f-feed', '3-x2522-none', '4-x2522-feed', 'sweep.json', 'sweep.md']);
    const summary = JSON.parse(readFileSync(join(out, '1-sfn6122f-none', 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ complete: true, point: { 'nic.model': 'sfn6122f' }, labConfig: { nic: { name: 'sfn6122f' } } });
    expect(summary.labConfig.subscribers.map((x: { efName: string | null }) => x.efName)).toEqual([null, null]);
    expect(summary).toHaveProperty('node', process.version);
    expect(summary).toHaveProperty('cpus');
    expect(summary.expectations.every((v: { passed: boolean }) => v.passed)).toBe(true);

    // compare two points: the paths changed, and the fallbacks are gone.
    const c = mdlab(['compare', join(out, '1-sfn6122f-none'), join(out, '2-sfn6122f-feed'), '--json']);
    expect(c.code, c.stderr).toBe(0);
    const cmp = JSON.parse(c.stdout);
    expect(cmp.paths.every((p: { a: string; b: string }) => p.a === 'kernel' && p.b === 'bypass')).toBe(true);
    expect(cmp.events).toContainEqual({ kind: 'fallback', cause: 'mcast-conflict', a: 2, b: 0 });
    // First what differs in the configs: only EF_NAME, per subscriber, matched by name.
    expect(cmp.config).toEqual([{ key: 'book1: EF_NAME', a: '- (own stack)', b: 'feed' }, { key: 'book2: EF_NAME', a: '- (own stack)', b: 'feed' }]);
    // The NIC's work moved from kernel sends to ring writes (one per stack: the shared stack has one).
    expect(cmp.nic.a.ringWrites).toBe(0);
    expect(cmp.nic.b.kernelSends).toBe(0);
    expect(cmp.nic.b.ringWrites).toBe(cmp.nic.a.kernelSends);
    // A moved path is one row saying from which to which, not a main row beside two one-sided ones.
    const rows = cmp.latency.filter((l: { subscriber: string; group: string }) => l.subscriber === 'book1' && l.group === '239.100.1.1:26400');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ path: 'main', moved: { from: 'kernel', to: 'bypass' } });
    expect(rows[0].spread.a).not.toBeNull();
    expect(typeof rows[0].withinSpread).toBe('boolean');
    const html = join(out, 'compare.html');
    const t = mdlab(['compare', join(out, '1-sfn6122f-none'), join(out, '2-sfn6122f-feed'), '--html', html]);
    expect(t.code, t.stderr).toBe(0);
    const text = t.stdout;
    expect(text.indexOf('What differs in the configs')).toBeLessThan(text.indexOf('Paths'));
    expect(text).toMatch(/book1: EF_NAME +- \(own stack\) +feed/);
    expect(text).toMatch(/book1 +239\.100\.1\.1:26400 +kernel +bypass +CHANGED/);
    expect(text).toMatch(/^all +0 +[\d,]+ +[\d,]+ +0$/m);
    expect(text).toMatch(/book1 +239\.100\.1\.1:26400 +kernel → bypass /);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/<h2>What differs in the configs<\/h2><table>/);
    expect(page.match(/<figure>/g)).toHaveLength(2); // book1 and book2, A and B overlaid
    expect(page).toMatch(/A \([^)]*1-sfn6122f-none\): kernel/);
    expect(page).toMatch(/B \([^)]*2-sfn6122f-feed\): bypass/);
    expect(page).not.toMatch(/<script/);
  });

  it('the receive-mode sweep: each mode beside kernel sockets; zero-copy copies nothing, kernel sockets switch most (DESIGN §10)', () => {
    const out = join(tmp.dir, 'paths');
    const r = mdlab(['run', 'configs/experiments/paths-sweep.yaml', '--out', out, '--duration', '1500ms'], {}, 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1 +offload +kernel .* offload .* 3 ok$/m);
    expect(r.stdout).toMatch(/^3 +onload-zc +kernel .* bypass .* 5 ok$/m);
    expect(r.stdout).toMatch(/^4 +ef_vi +kernel .* bypass .* 5 ok$/m);
    const summary = JSON.parse(readFileSync(join(out, '3-onload-zc', 'summary.json'), 'utf8'));
    const checks = summary.expectations.map((v: { check: string; passed: boolean }) => [v.check, v.passed]);
    expect(checks).toContainEqual(['probe: at most 0 payload bytes copied on the host per packet', true]);
    expect(checks).toContainEqual(['reference: more voluntary context switches per packet than probe', true]);
    expect(summary.overheads.map((o: { mode: string }) => o.mode)).toEqual(['kernel', 'onload-zc']);
  });

  it('the join/leave timeline: fallback at 2 s, recovery at 5 s; its .hlog files decode to the summary\'s percentiles', () => {
    const out = join(tmp.dir, 'timeline');
    const r = mdlab(['run', 'configs/experiments/join-leave-timeline.yaml', '--out', out], {}, 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Expectations: 4 passed, 0 failed/);
    for (const f of ['summary.json', 'percentiles.csv', 'report.md', 'book1.bypass.scheduled.hlog', 'book1.kernel.scheduled.hlog']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readdirSync(out).filter((f) => f.endsWith('.partial'))).toEqual([]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const book1 = summary.subscribers.find((s: { name: string }) => s.name === 'book1').memberships[0];
    for (const path of ['bypass', 'kernel']) {
      const log = readFileSync(join(out, `book1.${path}.scheduled.hlog`), 'utf8');
      expect(log).toMatch(/^#\[Histogram log format version 1\.3\]\n#\[StartTime: \d+\.\d{3} \(seconds since epoch\)/);
      // Untagged lines: the total over the groups (HistogramLogProcessor's default); Tag= lines: each group.
      expect(hdr.listTags(log)).toEqual(['NO TAG', '239.100.1.1:26400']);
      const reader = new hdr.HistogramLogReader(log);
      const untagged = hdr.build({ numberOfSignificantValueDigits: 3 });
      const tagged = hdr.build({ numberOfSignificantValueDigits: 3 });
      for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) (h.tag && h.tag !== 'NO TAG' ? tagged : untagged).add(h);
      const want = book1.latency[path].total.scheduled;
      for (const sum of [untagged, tagged]) {
        expect(sum.totalCount).toBe(want.count);
        expect([50, 90, 99, 99.9].map((p) => sum.getValueAtPercentile(p))).toEqual([want.p50, want.p90, want.p99, want.p999]);
      }
    }
    const csv = readFileSync(join(out, 'percentiles.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('subscriber,group,path,clock,count,p50_ns,p90_ns,p99_ns,p99_9_ns,p99_99_ns,max_ns');
    expect(csv.some((l) => l.startsWith('book1,239.100.1.1:26400,bypass,scheduled,'))).toBe(true);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/^# mdlab result: join-leave-timeline/);
  });

  it('the slow subscriber: its ring-overrun drops counted by cause, the fast reader on the same ring loses none', () => {
    const r = mdlab(['run', 'configs/experiments/slow-subscriber-overflow.yaml', '--headless', '--quiet'], {}, 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^slow +239\.100\.1\.1:26400 +bypass +- +[\d,]+ +[\d,]+ +0 +[\d,]+ +ring-overrun [\d,]+/m);
    expect(r.stdout).toMatch(/Expectations: 4 passed, 0 failed/);
  });

  it('a failed expectation makes the run exit 1 with a clear list', () => {
    const cfg = tmp.file('strict.yaml');
    writeFileSync(cfg, readFileSync(join(ROOT, 'configs', 'ef-name-trap.yaml'), 'utf8').replace('../recordings', join(ROOT, 'recordings')) + 'expect:\n  - subscriber: book1\n    path: bypass\n  - balanced: true\n');
    const r = mdlab(['run', cfg, '--headless', '--quiet', '--duration', '1s']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Expectations: 1 passed, 1 failed\n {2}FAIL expect\[0\]: book1: path bypass \(book1 239\.100\.1\.1:26400: kernel; book1 239\.100\.1\.2:26400: kernel\)\n {2}ok {3}expect\[1\]: accounts balance/);
  });
});
