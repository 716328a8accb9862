/**
 * Host health (DESIGN §11): a lab that shares its cores with busy loops is told so. The default
 * lab runs beside a busy loop pinned to every core; its verdict is contended, a reason names the
 * run-queue wait, and the report, the JSON result and the expectation all say so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { judgeHealth } from '../../src/metrics/host-health.js';
import { mdlab } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { ROOT } from '../helpers/shared.js';

const tmp = tempDir();
const hogs: ChildProcess[] = [];
afterEach(() => {
  for (const h of hogs.splice(0)) h.kill('SIGKILL');
});

describe('host health: the lab says when the host decided its figures', () => {
  it('the default lab beside busy loops pinned to every core is contended, and says it waited for a CPU', () => {
    for (let c = 0; c < cpus().length; c++) {
      hogs.push(spawn('taskset', ['-c', String(c), process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' }));
    }
    const json = join(tmp.dir, 'busy.json');
    const config = tmp.file('busy.yaml', `${readFileSync(join(ROOT, 'configs', 'default.yaml'), 'utf8').replace(/^recording: .*$/m, `recording: ${join(ROOT, 'recordings', 'default.pcap')}`)}\nexpect:\n  - {host: clean}\n`);
    const r = mdlab(['run', config, '--headless', '--quiet', '--duration', '2s', '--json', json], {}, 60_000);
    const result = JSON.parse(readFileSync(json, 'utf8')) as { host: { verdict: string; reasons: string[]; processes: { name: string; runQueueWait: number; verdict: string }[]; outsideCores: number } };
    expect(result.host.verdict).toBe('contended');
    expect(result.host.reasons.some((x) => /waited \d+% of its time on a run queue for a CPU/.test(x)), result.host.reasons.join('\n')).toBe(true);
    expect(result.host.outsideCores).toBeGreaterThan(0.5);
    expect(r.stdout).toMatch(/^Host: HOST CONTENDED/m);
    // expect: {host: clean} fails, and so the run exits 1.
    expect(r.stdout).toMatch(/FAIL expect\[0\]: host clean \(contended: /);
    expect(r.code).toBe(1);
  }, 90_000);

  it('the judge: clean when nothing waited; each threshold a reason in plain words', () => {
    const base = { elapsedNs: 1e9, cores: 2, nicLag: { p50Ns: 1e3, p99Ns: 1e4, maxNs: 5e4, packets: 100 }, host: { busyNs: 5e8, stealNs: 0, totalNs: 2e9 }, foreignDatagrams: 0 };
    const quotes = { role: 'subscriber' as const, name: 'quotes', pid: 1, spinning: true, pinned: 1, cpuNs: 4e8, waitNs: 1e6, involuntary: 10, cpus: [1], maxStallNs: 50e3 };
    expect(judgeHealth({ ...base, processes: [quotes] })).toMatchObject({ verdict: 'clean', reasons: [] });
    const bad = judgeHealth({ ...base, processes: [{ ...quotes, waitNs: 3.8e8, maxStallNs: 9.7e6 }], nicLag: { p50Ns: 1e5, p99Ns: 5e6, maxNs: 9.7e6, packets: 100 }, host: { busyNs: 1.9e9, stealNs: 1e8, totalNs: 2e9 }, foreignDatagrams: 12 });
    expect(bad.verdict).toBe('contended');
    expect(bad.reasons).toEqual([
      'quotes waited 38% of its time on a run queue for a CPU on CPU 1',
      "quotes's poll loop stalled for up to 9.7ms: it was off its CPU",
      'processes outside the lab used 1.50 of 2 cores',
      'the hypervisor stole 5% of the CPU time',
      'the NIC fell behind its schedule: p99 5.0ms, worst 9.7ms',
      '12 datagrams from outside the lab reached its sockets',
    ]);
    expect(bad.processes[0].verdict).toBe('contended');
    // A stall its own garbage collector explains is the process's, not the host's.
    const gc = judgeHealth({ ...base, processes: [{ ...quotes, maxStallNs: 5e6, maxGcNs: 4.8e6 }] });
    expect(gc.verdict).toBe('clean');
    const notGc = judgeHealth({ ...base, processes: [{ ...quotes, maxStallNs: 6.6e6, maxGcNs: 0.45e6 }] });
    // Off its CPU with little wait on a run queue (0.1% here): no process of the guest ran in its place.
    expect(notGc.reasons).toEqual(["quotes's poll loop stalled for up to 6.6ms (its longest GC pause: 450.0µs): it was off its CPU, with little wait on a run queue (0.1%): the host's doing (an interrupt, the hypervisor), not the lab's processes"]);
    // A NIC taken off its CPU while it spun to a send time says so: the host's doing, not its work.
    const off = judgeHealth({ ...base, processes: [quotes], nicLag: { p50Ns: 1e3, p99Ns: 6.3e6, maxNs: 14.7e6, packets: 100, offCpuMaxNs: 4.1e6, offCpuCount: 7 } });
    expect(off.reasons).toEqual(['the NIC fell behind its schedule: p99 6.3ms, worst 14.7ms; it was taken off its CPU 7 times while it waited to send, for up to 4.1ms: the host\'s doing, not its own work']);
    // Its run-queue wait says who took the time: the lab's own processes on its CPU, or the host.
    const lag = { p50Ns: 1e3, p99Ns: 25e6, maxNs: 27.6e6, packets: 100, offCpuMaxNs: 27.5e6, offCpuCount: 9 };
    const nic = { role: 'nic' as const, name: 'NIC', pid: 2, spinning: false, pinned: null, cpuNs: 2.5e8, waitNs: 7.6e7, involuntary: 1361, cpus: [0], maxStallNs: null };
    const book1 = { ...quotes, name: 'book1', pid: 3, spinning: false, pinned: null, cpus: [0], maxStallNs: null };
    const crowded = judgeHealth({ ...base, processes: [nic, book1, quotes], nicLag: lag });
    expect(crowded.reasons).toEqual(['the NIC fell behind its schedule: p99 25.0ms, worst 27.6ms; it was taken off its CPU 9 times while it waited to send, for up to 27.5ms: it waited 8% of its time for CPU 0, where book1 ran in its place (preempted 1,361 times a second): the lab\'s own processes, on too few cores']);
    const hyper = judgeHealth({ ...base, processes: [{ ...nic, waitNs: 4e6, involuntary: 20 }, book1, quotes], nicLag: lag });
    expect(hyper.reasons).toEqual(['the NIC fell behind its schedule: p99 25.0ms, worst 27.6ms; it was taken off its CPU 9 times while it waited to send, for up to 27.5ms, with little wait on a run queue (0.4%): the host\'s doing (an interrupt, the hypervisor), not the lab\'s processes']);
  });
});
