/**
 * HdrHistogram's own Java HistogramLogProcessor reads an mdlab .hlog with its default options
 * (before, it died on a NullPointerException: every line was tagged, and it reads untagged ones),
 * and its percentiles are those of percentiles.csv: the `all` row for the untagged totals, a
 * group's row under `-tag GROUP`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mdlab } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const JAR = '/usr/share/java/hdrhistogram.jar';
const HAS_JAVA = spawnSync('java', ['-version']).status === 0 && existsSync(JAR);
const tmp = tempDir();

function processor(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('java', ['-cp', JAR, 'org.HdrHistogram.HistogramLogProcessor', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The value at the 50th percentile row and the Max / Total count footer of a percentile distribution. */
function distribution(text: string): { p50: number; max: number; count: number } {
  const p50 = /^\s*([0-9.]+) 0\.500000000000 /m.exec(text);
  const foot = /#\[Max\s+=\s+([0-9.]+), Total count\s+=\s+(\d+)\]/.exec(text);
  expect(p50, text).not.toBeNull();
  expect(foot, text).not.toBeNull();
  return { p50: Number(p50![1]), max: Number(foot![1]), count: Number(foot![2]) };
}

describe.skipIf(!HAS_JAVA)(`HdrHistogram's Java HistogramLogProcessor reads mdlab .hlog files${HAS_JAVA ? '' : ` [skipped: java or ${JAR} (libhdrhistogram-java) is missing; .ci/run installs them]`}`, () => {
  it('with its default options, and gives the percentiles of percentiles.csv', () => {
    const out = tmp.file('res');
    const r = mdlab(['run', 'configs/ef-name-trap.yaml', '--headless', '--duration', '1500ms', '--out', out], {}, 90_000);
    expect(r.code, r.stderr).toBe(0);
    const file = join(out, 'book1.kernel.scheduled.hlog');
    const csv = readFileSync(join(out, 'percentiles.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    const row = (group: string) => csv.find((c) => c[0] === 'book1' && c[1] === group && c[2] === 'kernel' && c[3] === 'scheduled')!;

    // Default options: values printed in ms (its output unit ratio 1e6), three decimals.
    const plain = processor(['-i', file]);
    expect(plain.code, plain.out).toBe(0);
    expect(plain.out).not.toMatch(/Exception/);
    const all = row('all');
    const d = distribution(plain.out);
    expect(d.count).toBe(Number(all[4]));
    expect(Math.abs(d.p50 * 1e6 - Number(all[5]))).toBeLessThanOrEqual(500);
    expect(Math.abs(d.max * 1e6 - Number(all[10]))).toBeLessThanOrEqual(500);

    // In ns, exactly: the untagged total, and one group's tagged lines.
    const exact = distribution(processor(['-i', file, '-outputValueUnitRatio', '1']).out);
    expect([exact.p50, exact.max, exact.count]).toEqual([Number(all[5]), Number(all[10]), Number(all[4])]);
    const g = row('239.100.1.1:26400');
    const tagged = distribution(processor(['-i', file, '-outputValueUnitRatio', '1', '-tag', '239.100.1.1:26400']).out);
    expect([tagged.p50, tagged.max, tagged.count]).toEqual([Number(g[5]), Number(g[10]), Number(g[4])]);

    // Interval_Max is the highest equivalent value (the top of the max's bucket), in ms, as HistogramLogWriter writes it.
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => /^(Tag=[^,]+,)?[0-9.]+,/.test(l));
    const maxMs = Math.max(...lines.filter((l) => l.startsWith('Tag=239.100.1.1:26400,')).map((l) => Number(l.split(',')[3])));
    expect(maxMs).toBeCloseTo(Number(g[10]) / 1e6, 3);
  });
});
