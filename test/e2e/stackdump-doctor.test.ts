/**
 * The round trip of issue 12: while configs/ef-name-trap.yaml runs, `mdlab stackdump` (another
 * process, reading the lab's registry) prints the listing, lots and filters as onload_stackdump
 * does; `mdlab doctor` on those saved dumps gives the groups, stacks, cause and fix of the lab's
 * own events. With configs/ef-name-shared.yaml it finds nothing to fix.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mdlab } from '../helpers/cli.js';
import { MDLAB, ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();

interface Dumps {
  listing: string;
  lots: string;
  filters: string;
  stats: string;
  json: { dumpedAt: string; startedAt: string };
  /** What `stackdump --watch 300ms` printed until the lab ended. */
  watch: string;
  result: { events: { kind: string; group: string; cause: string | null; fix: string | null; subscribers: { name: string; stack: number | null; pid: number }[] }[] };
}

/** Runs a lab in the background and dumps it from outside once its sockets have read packets. */
async function dumpWhileRunning(config: string): Promise<Dumps> {
  const json = tmp.file(`${config.replace(/\W/g, '_')}.json`);
  // The shipped config, its recording looped: the recording lasts a few seconds, and on a loaded
  // host polling for sockets that have read can outlast it, and the lab with it. Long enough for a
  // loaded CI host to start it; stopped with Ctrl-C once dumped (its result is then partial, its events whole).
  const looped = tmp.file(`${config.replace(/\W/g, '_')}.looped.yaml`);
  const shipped = readFileSync(join(ROOT, config), 'utf8').replace(/^recording: \.\.\//m, `recording: ${ROOT}/`);
  expect(shipped).toContain(`recording: ${ROOT}/recordings/`);
  writeFileSync(looped, `${shipped}\nloop: true\nduration: 120s\n`);
  const child = spawn(process.execPath, [MDLAB, 'run', looped, '--headless', '--json', json], { cwd: ROOT, stdio: 'ignore' });
  const done = new Promise<number | null>((res) => child.on('exit', res));
  try {
    let lots = '';
    for (let i = 0; i < 200; i++) {
      await new Promise((res) => setTimeout(res, 100));
      const r = mdlab(['stackdump', 'lots', '--lab', String(child.pid)]);
      // Every socket has read something (by bypass or through the kernel), not just the first.
      const sockets = [...r.stdout.matchAll(/^UDP \d+:\d+ /gm)].length;
      const read = [...r.stdout.matchAll(/tot_pkts=[1-9]|rcv: os=[1-9]/g)].length;
      if (r.code === 0 && sockets > 0 && read >= sockets) {
        lots = r.stdout;
        break;
      }
    }
    expect(lots, 'the lab never showed a socket that had read packets').not.toBe('');
    const get = (args: string[]) => {
      const r = mdlab([...args, '--lab', String(child.pid)]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    const watcher = spawn(process.execPath, [MDLAB, 'stackdump', 'more_stats', '--watch', '300ms', '--lab', String(child.pid)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let watch = '';
    watcher.stdout.on('data', (c) => (watch += c));
    const watched = new Promise((res) => watcher.on('exit', res));
    const out = { listing: get(['stackdump']), lots, filters: get(['stackdump', 'filters']), stats: get(['stackdump', 'stats']), json: JSON.parse(get(['stackdump', 'lots', '--json'])) };
    await new Promise((res) => setTimeout(res, 700)); // the watcher's second refresh
    child.kill('SIGINT');
    // Interrupted, as Ctrl-C (130); a loaded host may have let the recording end first (0).
    expect([0, 130]).toContain(await done);
    await watched;
    return { ...out, watch, result: JSON.parse(readFileSync(json, 'utf8')) };
  } finally {
    child.kill('SIGINT');
    await done;
  }
}

describe('mdlab stackdump and mdlab doctor on a running lab', () => {
  it('ef-name-trap.yaml: stack 0 first; rcv: os= per trapped socket; KERNEL members; doctor names mcast-conflict and EF_NAME as the lab did', async () => {
    const d = await dumpWhileRunning('configs/ef-name-trap.yaml');
    const rows = d.listing.trim().split('\n');
    expect(rows[0]).toBe('#stack-id stack-name      pids');
    expect(rows[1]).toMatch(/^0 {9}- {15}\d+ $/);
    // Each trapped socket has read packets through the kernel, with a percentage.
    const os = [...d.lots.matchAll(/^ {2}rcv: os=(\d+)\((\d+)%\) os_slow=0 os_error=0$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(os).toHaveLength(4);
    expect(os.every(([n, p]) => n > 0 && p > 0), JSON.stringify(os)).toBe(true);
    expect(d.filters).toMatch(/^ {4}maddr=239\.100\.1\.1:26400 stack=0 hwports=1,0,0\n {6}0:\d+ UDP 239\.100\.1\.1:26400 0\.0\.0\.0:0 if=1 hwports=1,0,0 KERNEL$/m);
    expect(d.filters).not.toMatch(/ACCELERATED/);
    expect(d.stats).toMatch(/^-------------------- ci_netif_stats: 0 -+\nrx_evs: 0\n/);
    // --json: the dump's own time, after the lab's start.
    expect(Date.parse(d.json.dumpedAt)).toBeGreaterThan(Date.parse(d.json.startedAt));

    const lots = tmp.file('lots.txt');
    const filters = tmp.file('filters.txt');
    writeFileSync(lots, d.listing + d.lots);
    writeFileSync(filters, d.filters);
    const text = mdlab(['doctor', lots, filters]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('mcast-conflict');
    expect(text.stdout).toContain('EF_NAME');
    const x = JSON.parse(mdlab(['doctor', lots, filters, '--json']).stdout);
    const fromDoctor = x.findings.filter((f: { kind: string }) => f.kind === 'kernel-path')
      .map((f: { group: string; cause: string; stacks: { id: number }[]; fix: string }) => ({ group: f.group, cause: f.cause, stacks: f.stacks.map((s) => s.id), fix: f.fix.replace(/ on .* \(one shared stack\)/, ' (one shared stack)') }));
    const fromLab = d.result.events.filter((e) => e.kind === 'fallback')
      .map((e) => ({ group: e.group, cause: e.cause, stacks: e.subscribers.map((s) => s.stack), fix: e.fix!.replace(/ on .* \(one shared stack\)/, ' (one shared stack)') }));
    expect(fromDoctor).toEqual(fromLab);
    // The PIDs too: the lab's subscribers are the stacks' processes.
    for (const e of d.result.events.filter((y) => y.kind === 'fallback')) {
      for (const s of e.subscribers) expect(text.stdout).toContain(`stack ${s.stack} (pid ${s.pid})`);
    }
  });

  it('ef-name-shared.yaml: one stack, every member ACCELERATED; doctor finds nothing to fix', async () => {
    const d = await dumpWhileRunning('configs/ef-name-shared.yaml');
    expect(d.listing.trim().split('\n')).toHaveLength(2);
    // --watch refreshed, one stamped block per interval in a pipe, until the lab ended.
    expect((d.watch.match(/^# \d{4}-\d\d-\d\dT/gm) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(d.watch).toMatch(/-------------------- more_stats: 0 -+\nudp_tot_recv_pkts_ul: [1-9]/);
    expect(d.watch.trim().split('\n').pop()).toBe('mdlab: the lab has ended');
    expect(d.filters).toMatch(/hwports=1,1,1 ACCELERATED/);
    const lots = tmp.file('shared-lots.txt');
    writeFileSync(lots, d.lots + d.filters);
    const r = mdlab(['doctor', lots, '--json']);
    const x = JSON.parse(r.stdout);
    // Nothing on the path; a slow reader's ring overrun on this small host would be a memory-pressure note, never a path.
    expect(x.findings.filter((f: { kind: string }) => f.kind === 'kernel-path' || f.kind === 'unexplained-kernel' || f.kind === 'no-traffic')).toEqual([]);
    if (x.findings.length === 0) expect(mdlab(['doctor', lots]).stdout).toContain('nothing to fix');
  });
});
