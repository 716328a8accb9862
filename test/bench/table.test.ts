// The bench's table says when a target is below what the bare floor itself reached on this host.
import { describe, expect, it } from 'vitest';
import { formatBench } from '../../src/bench/table.js';
import { PROFILES, type BenchResults } from '../../src/bench/run-bench.js';
import type { Figure } from '../../src/bench/stats.js';
import type { Row } from '../../src/bench/targets.js';

const fig = (...runs: number[]): Figure => ({ median: runs[Math.floor(runs.length / 2)], min: Math.min(...runs), max: Math.max(...runs), runs });

function results(floorP99: Figure): BenchResults {
  const mdlab = fig(300, 900);
  const row: Row = { id: 'latency.bypass.p99', what: 'bypass wire-to-app p99 (from the NIC send)', unit: 'µs', floor: floorP99, floorWhat: 'bare shm slot p99, every packet', mdlab, ratio: mdlab.median / floorP99.median, target: '≤ 10 µs in every repetition', met: false };
  return {
    profile: PROFILES.quick,
    host: { cpuModel: 'test', cpus: 2, node: 'v20', sockperf: null, speed: { referenceNs: { start: 1.5, end: 1.5 }, stealShare: 0 } },
    rows: [row],
    raw: {},
    seconds: 1,
    labReps: { clean: 0, total: 1 },
  } as unknown as BenchResults;
}

describe('the bench table', () => {
  it('says when the bare floor\'s own p99 is above the 10 µs target in every repetition', () => {
    expect(formatBench(results(fig(79, 1547)))).toMatch(/^bypass p99: the bare shared-memory slot's own p99, every packet measured, was 1,547 \[79\.0\.\.1,547\] µs, above the 10 µs target in every repetition/m);
  });

  it('says how much of a missed subscriber RSS target a bare Node process and the ring take', () => {
    const r = results(fig(79, 1547));
    r.rows.push({ id: 'memory.subscriber', what: 'subscriber peak RSS', unit: 'MB', floor: fig(40.6), floorWhat: 'a bare Node process', mdlab: fig(64.7), ratio: 64.7 / 40.6, target: '≤ 60 MB', met: false });
    (r.raw as Record<string, unknown>).memory = { subscriberShmem: 8.5 * 2 ** 20 };
    expect(formatBench(r)).toMatch(/^subscriber peak RSS: a bare Node process is 40\.6 MB of it and its ring 8\.50 MB, which leaves 10\.9 MB of the 60 MB target for mdlab's code, heap and buffers \(it used 15\.6\)$/m);
    r.rows[1] = { ...r.rows[1], mdlab: fig(58), met: true };
    expect(formatBench(r)).not.toMatch(/^subscriber peak RSS: a bare/m);
  });

  it('says nothing of it when the floor met the target in any repetition', () => {
    expect(formatBench(results(fig(0.2, 79)))).not.toMatch(/^bypass p99: the bare/m);
  });
});
