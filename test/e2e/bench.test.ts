// The bench is not part of npm test; this runs its code paths on tiny sizes (every floor, every
// lab figure, the memory replay and the dashboard's first frame) so that it cannot rot.
import { describe, expect, it } from 'vitest';
import { PROFILES, runBench } from '../../src/bench/run-bench.js';
import { tasksetAvailable } from '../../src/bench/sockperf.js';
import { formatBench } from '../../src/bench/table.js';
import { ROOT } from '../helpers/shared.js';
import { leftovers } from '../helpers/lab.js';

describe('npm run bench (tiny profile)', () => {
  it('measures every floor and every mdlab figure, with ratios and targets, and leaves nothing behind', async () => {
    const lines: string[] = [];
    const r = await runBench(PROFILES.tiny, { root: ROOT, log: (l) => lines.push(l) });
    const ids = r.rows.map((x) => x.id);
    expect(ids).toEqual(expect.arrayContaining([
      'latency.bypass.p50', 'latency.bypass.p99', 'latency.kernel.p50', 'throughput.bypass.one', 'throughput.bypass.four',
      'throughput.kernel', 'decode', 'decode.cli', 'decode.cli.json', 'record', 'memory.nic', 'memory.subscriber', 'dashboard.first-frame', 'soak.rss-growth', 'model.deliveries', 'model.scale.wall', 'model.live-agreement', 'default.clean', 'default.controller-cpu', 'default.nic-cpu-per-packet',
    ]));
    for (const row of r.rows) {
      expect(Number.isFinite(row.mdlab.median), row.id).toBe(true);
      // Growth may be zero or negative; every other figure is a positive measure.
      // Counts of runs or configs may be zero (a contended host); every other figure is a positive measure.
      if (!['soak.rss-growth', 'default.clean', 'model.live-agreement'].includes(row.id)) expect(row.mdlab.median, row.id).toBeGreaterThan(0);
      if (row.floor) expect(row.ratio, row.id).toBeGreaterThan(0);
    }
    // sockperf, the native reference, left to the scheduler and placed as the lab is (where sockperf and taskset are here).
    if (r.host.sockperf && r.host.cpus >= 2 && tasksetAvailable()) expect(ids).toEqual(expect.arrayContaining(['latency.kernel.sockperf', 'latency.kernel.sockperf.placed']));
    else expect(lines.join('\n')).toMatch(/sockperf is not (installed|placed)/);
    // Targets are judged (met or missed), never left blank where the issue sets one.
    expect(r.rows.filter((x) => x.target !== null).every((x) => typeof x.met === 'boolean')).toBe(true);
    // The packets went through the lab: the bypass run received what the NIC sent, less its drops.
    const bypass = (r.raw.bypass as { sentPackets: number; dropped: number; wholeRun: { sent: { count: number } } }[])[0];
    expect(bypass.sentPackets).toBe(PROFILES.tiny.latencyPackets);
    expect(bypass.wholeRun.sent.count + bypass.dropped).toBe(bypass.sentPackets);
    expect(r.host.cpus).toBeGreaterThan(0);
    // Live against model: the same paths and causes for the config it ran both ways.
    const pairs = r.raw.liveVsModel as { config: string; pathsAgree: boolean; causesAgree: boolean }[];
    expect(pairs.map((x) => [x.config, x.pathsAgree, x.causesAgree])).toEqual([['ef-name-trap.yaml', true, true]]);
    // The soak sampled every process of the lab, and its account balanced.
    const soaked = r.raw.soak as { processes: { role: string }[]; balanced: boolean };
    expect(new Set(soaked.processes.map((x) => x.role))).toEqual(new Set(['controller', 'nic', 'subscriber']));
    expect(soaked.balanced).toBe(true);
    // The memory figures stand beside a bare Node process started as the lab's children are.
    const memRows = r.rows.filter((x) => x.id === 'memory.nic' || x.id === 'memory.subscriber');
    expect(memRows.map((x) => x.floorWhat)).toEqual(['a bare Node process', 'a bare Node process']);
    expect(memRows[0].floor!.median).toBeGreaterThan(10);
    expect(memRows[0].floor!.median).toBeLessThan(memRows[1].mdlab.median);
    // Where the NIC's time went, from its own CPU profile: the per-packet functions are in it.
    expect(r.nicProfile?.packets).toBe(PROFILES.tiny.topPackets);
    expect(r.nicProfile?.rows.some((x) => /^(transmit|writeStamped|pumpBurst)@/.test(x.where))).toBe(true);
    const table = formatBench(r);
    expect(table).toContain('bypass wire-to-app p50');
    expect(table).toMatch(/NIC at top speed, where its time per packet goes: [\d,]+ packets/);
    expect(table).toMatch(/\d+ of \d+ targets met/);
    // How fast the host was, so that figures with no floor compare across hosts.
    expect(r.host.speed.referenceNs.start).toBeGreaterThan(0);
    expect(r.host.speed.referenceNs.end).toBeGreaterThan(0);
    expect(table).toMatch(/^host speed: a fixed JS loop, [\d.]+ ns per turn at the start and [\d.]+ at the end/m);
    const left = leftovers();
    expect(left.processes).toEqual([]);
    expect(left.segments).toEqual([]);
  }, 240_000);
});
