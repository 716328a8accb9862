/**
 * The real dashboard in a real terminal (tmux), on the default config: the histograms fill, the
 * fallback event appears with its cause, keys work, a resize re-lays it out, and q quits with no
 * process and no segment left behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listSegments, pidAlive } from '../../src/shm/segment.js';
import { readLiveRegistries } from '../../src/onload/registry.js';
import { sleep } from '../helpers/lab.js';
import { MDLAB, ROOT } from '../helpers/shared.js';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `mdlab-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (session = 'lab') => tmux('capture-pane', '-p', '-t', session);

async function waitFor(what: RegExp, ms = 20_000, session = 'lab'): Promise<string> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    last = screen(session);
    if (what.test(last)) return last;
    await sleep(200);
  }
  throw new Error(`the screen never showed ${what}; it shows:\n${last}`);
}

afterAll(() => {
  if (HAS_TMUX) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
});

describe.skipIf(!HAS_TMUX)(`the dashboard in tmux${HAS_TMUX ? '' : ' [skipped: tmux is not installed; .ci/run installs it]'}`, () => {
  it('shows the trap as it happens, answers keys, adapts to a resize, and quits cleanly', async () => {
    // A user's terminal: CI is unset there (Ink draws only a final frame when it sees CI=true).
    tmux('new-session', '-d', '-s', 'lab', '-x', '80', '-y', '24', '-c', ROOT, `env -u CI ${process.execPath} ${MDLAB} run configs/default.yaml; echo mdlab-exit=$?; sleep 120`);
    // The histograms fill: percentiles with numbers, and bars.
    let s = await waitFor(/kernel p50 +[\d.]+(µs|ms)[\s\S]*█/);
    // The fallback event, its cause, the stacks and PIDs, and the fix.
    s = await waitFor(/mcast-conflict \(NIC cannot replicate\):/);
    expect(s).toMatch(/book1 st0 pid \d+/);
    expect(s).toMatch(/Fix: EF_NAME=feed on book1 and book2/);
    expect(s).toMatch(/239\.100\.1\.1 +K st0 +K st1/);
    expect(s.split('\n')[0]).toMatch(/^ mdlab {2}default\.yaml · NIC sfn6122f/);
    // The lab's controller: the live registry of configs/default.yaml (other tests run other configs).
    const doc = readLiveRegistries().find((d) => d.config === 'configs/default.yaml');
    expect(doc).toBeDefined();
    const labPid = doc!.labPid;
    expect(listSegments(labPid).length).toBeGreaterThan(0);

    // At 80×24: ? and q always in the hints; ↓ selects the second group, marked >.
    expect(s.trimEnd().split('\n').pop()).toMatch(/\? help +q quit\s*$/);
    tmux('send-keys', '-t', 'lab', 'Down');
    await waitFor(/>239\.100\.1\.2 /);
    // A burst of keys, every one applied: five + in one write take 1× up to top speed.
    tmux('send-keys', '-t', 'lab', '+++++');
    await waitFor(/▶ top /);
    tmux('send-keys', '-t', 'lab', '--', '-----');
    await waitFor(/▶ 1× /); // top → 16 → 8 → 4 → 2 → 1

    tmux('send-keys', '-t', 'lab', 'v');
    await waitFor(/#stack-id stack-name +pids/);
    tmux('send-keys', '-t', 'lab', 'v');
    await waitFor(/subscriber +bypass +kernel +dropped +gaps +p50 +p99 +max +trend/); // 80 columns: pid gives way to max and the trend
    tmux('send-keys', '-t', 'lab', 'v');
    await waitFor(/book1 +onload +kernel +│ +\d+ /); // 80 columns: the measured columns, what each mode copies below
    tmux('send-keys', '-t', 'lab', 'v');
    tmux('send-keys', '-t', 'lab', 'Right');
    await waitFor(/book2 · pid \d+ · stack 1/);

    tmux('resize-window', '-t', 'lab', '-x', '160', '-y', '48');
    await waitFor(/Fallback events \(\d+\)/);
    // At 160×48 the percentile line reaches max.
    await waitFor(/kernel p50 .*p99\.9 +[\d.]+\S+ .*max +[\d.]+\S+ +n /);
    await waitFor(/book2 · pid \d+ · stack 1 .*quotes · pid \d+/);

    tmux('send-keys', '-t', 'lab', 'q');
    await waitFor(/mdlab-exit=0/, 30_000);
    expect(pidAlive(labPid)).toBe(false);
    expect(listSegments(labPid)).toEqual([]);
  });

  it('at 80×24 with six subscribers: the matrix shows a window that holds the selected one, the selected group marked, ? and q in the hints', async () => {
    const subs = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((n, i) => `  - { name: ${n}, groups: [239.100.1.${(i % 4) + 1}:26400, 239.100.1.${((i + 1) % 4) + 1}:26400], env: { EF_POLL_USEC: 0 }, work: none }`).join('\n');
    const config = join(tmpdir(), `mdlab-six-${process.pid}.yaml`);
    writeFileSync(config, `recording: ${join(ROOT, 'recordings', 'default.pcap')}\nduration: 20s\nloop: true\nnic: { model: x2522 }\nsubscribers:\n${subs}\n`);
    tmux('new-session', '-d', '-s', 'six', '-x', '80', '-y', '24', '-c', ROOT, `env -u CI ${process.execPath} ${MDLAB} run ${config}; echo mdlab-exit=$?; sleep 120`);
    const waitSix = (what: RegExp, ms = 20_000) => waitFor(what, ms, 'six');
    let s = await waitSix(/ B st\d/);
    const lines = s.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
    // The matrix is readable: whole columns of the first subscribers, and a mark that more lie beside.
    expect(s).toMatch(/Paths :26400 +a1 +a2 /);
    expect(s).toMatch(/›/);
    expect(s).toMatch(/>239\.100\.1\.1 /);
    expect(lines.at(-1), s).toMatch(/\? help +q quit\s*$/);
    // → selects a6: the window moves to hold it, and its group is the one marked.
    for (let i = 0; i < 5; i++) tmux('send-keys', '-t', 'six', 'Right');
    // (The screen may be caught between two of the keys: wait for the last one's panel.)
    s = await waitSix(/Paths :26400 +a4 +a5 +a6 +‹[\s\S]*a6 · pid \d+/);
    expect(s).toMatch(/a6 · pid \d+ · stack 5/);
    tmux('send-keys', '-t', 'six', 'q');
    await waitSix(/mdlab-exit=0/, 30_000);
  });
});
