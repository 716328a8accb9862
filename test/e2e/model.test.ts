/**
 * Model mode as a user runs it: `mdlab run CONFIG --model`. The same config gives byte-identical
 * result files; paths and causes are the fallback core's (mcast-conflict for the trap, bypass for
 * the shared stack); a bad profile gets one line naming its key; the fan-out experiment passes.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mdlab } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();

describe('mdlab run --model', () => {
  it('ef-name-trap.yaml twice: identical summary.json, percentiles.csv and .hlog files, mcast-conflict on both handlers', () => {
    const [a, b] = ['a', 'b'].map((n) => {
      const out = tmp.file(`trap-${n}`);
      const r = mdlab(['run', 'configs/ef-name-trap.yaml', '--model', '--out', out, '--json', join(out, '..', `trap-${n}.json`)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^mdlab MODEL \(host-2vcpu\) · ef-name-trap\.yaml/);
      expect(r.stdout).toContain('Model: virtual time, cost profile host-2vcpu');
      return out;
    });
    const files = readdirSync(a).sort();
    expect(files).toEqual(expect.arrayContaining(['summary.json', 'percentiles.csv', 'report.md', 'book1.kernel.scheduled.hlog', 'book2.kernel.sent.hlog']));
    for (const f of files) expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f).toBe(true);
    const s = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8'));
    expect(s.model).toMatchObject({ profile: 'host-2vcpu' });
    expect(s.isolation.kind).toBe('model');
    for (const sub of s.subscribers) for (const m of sub.memberships) expect([m.path, m.cause, m.account.balanced]).toEqual(['kernel', 'mcast-conflict', true]);
    expect(s.events.filter((e: { cause: string }) => e.cause === 'mcast-conflict')).toHaveLength(2);
  });

  it('ef-name-shared.yaml gives bypass, with bypass faster than the trap\'s kernel path; a published profile too', () => {
    const shared = JSON.parse(mdlab(['run', 'configs/ef-name-shared.yaml', '--model', '--json', tmp.file('shared.json')]).code === 0 ? readFileSync(tmp.file('shared.json'), 'utf8') : '{}');
    const trap = JSON.parse(mdlab(['run', 'configs/ef-name-trap.yaml', '--model', '--json', tmp.file('trap.json')]).code === 0 ? readFileSync(tmp.file('trap.json'), 'utf8') : '{}');
    const p50 = (doc: { subscribers: { memberships: { path: string; latency: Record<string, { total: { sent: { p50: number } } }> }[] }[] }) => doc.subscribers[0].memberships[0].latency[doc.subscribers[0].memberships[0].path].total.sent.p50;
    expect(shared.subscribers.flatMap((x: { memberships: { path: string }[] }) => x.memberships.map((m) => m.path))).toEqual(['bypass', 'bypass', 'bypass', 'bypass']);
    expect(p50(shared)).toBeLessThan(p50(trap));
    const ef10 = mdlab(['run', 'configs/ef-name-shared.yaml', '--model', '--profile', 'ef10-onload', '--json', tmp.file('ef10.json')]);
    expect(ef10.code, ef10.stderr).toBe(0);
    expect(p50(JSON.parse(readFileSync(tmp.file('ef10.json'), 'utf8')))).toBeLessThan(p50(shared));
  });

  it('a bad profile gets one line naming its key; an unknown one lists the shipped ones', () => {
    const bad = tmp.file('bad-profile.json');
    const good = JSON.parse(readFileSync('configs/profiles/ef10-onload.json', 'utf8'));
    good.costs.softirqNs.value = -3;
    writeFileSync(bad, JSON.stringify(good));
    const r = mdlab(['run', 'configs/ef-name-trap.yaml', '--model', '--profile', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/bad-profile\.json: costs\.softirqNs\.value: expected a number of ns/)]);
    const u = mdlab(['run', 'configs/ef-name-trap.yaml', '--model', '--profile', 'nosuch']);
    expect(u.stderr.trim()).toMatch(/no profile named "nosuch": the shipped ones are host-2vcpu, siena-onload, ef10-onload, x3-onload/);
    expect(mdlab(['run', 'configs/ef-name-trap.yaml', '--profile', 'ef10-onload']).stderr.trim()).toMatch(/--profile is for model mode: add --model/);
  });

  it('configs/experiments/fanout-scale.yaml: kernel p99 grows with the fan-out to 1,000 handlers; bypass stays flat; every expectation passes', () => {
    // 1.2 s of the recording (the start of the opening cross) keeps the test short; the shipped sweep plays 2 s.
    // No --out: 1,000 handlers' result files per point would be most of the time; the sweep table says it all.
    const r = mdlab(['run', 'configs/experiments/fanout-scale.yaml', '--duration', '1200ms', '--quiet'], {}, 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\d+ +\d+ +(sfn6122f|x2522) /.test(l)).map((l) => l.trim().split(/ {2,}/));
    expect(rows).toHaveLength(16);
    // point, replicas, nic, EF_NAME, subscribers, paths, p50 (median), p99 (worst), drops, expect
    const worst = (replicas: number, nic: string, name: string) => {
      const row = rows.find((x) => Number(x[1]) === replicas && x[2] === nic && x[3] === name)!;
      return Number(row[7].replace(/,/g, ''));
    };
    const kernel = [10, 100, 1000].map((n) => worst(n, 'sfn6122f', '(none)'));
    expect(kernel[1]).toBeGreaterThan(kernel[0]);
    expect(kernel[2]).toBeGreaterThan(kernel[1]);
    expect(worst(1000, 'sfn6122f', 'feed')).toBeLessThan(2 * worst(1, 'sfn6122f', 'feed'));
    expect(rows.every((x) => / ok$|^\d+ ok$/.test(x[9]))).toBe(true);
  });
});
