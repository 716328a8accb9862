/**
 * Nothing outlives a lab, whenever and however it dies: SIGINT and SIGKILL to the controller,
 * SIGKILL to a subscriber, at seeded random moments from start-up to the end. Afterwards no
 * segment of the lab is left in /dev/shm and no process of it runs (children, warden), and
 * every account that was written balances. MDLAB_LONG=1 runs 50 trials (MDLAB_KILL_SEED picks
 * another sequence); npm test runs a few.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MDLAB, ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';
import { sleep } from '../helpers/lab.js';

const LONG = process.env.MDLAB_LONG === '1';
const TRIALS = LONG ? 50 : 6;
const SEED = Number(process.env.MDLAB_KILL_SEED ?? 20261201);
const tmp = tempDir('mdlab-kill-');

/** mulberry32: a small seeded generator, so a failing trial can be run again. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function labProcesses(lab: number): string[] {
  try {
    return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .split('\n').map((l) => l.trim()).filter((l) => l.includes(`--lab=${lab}`) || l.includes(`warden.js ${lab}`));
  } catch {
    return [];
  }
}

/** The lab's network-namespace holders (`sleep infinity` under unshare), known while the controller is their parent. */
function holdersOf(lab: number): number[] {
  try {
    return execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
      .split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => Number(f[1]) === lab && f.slice(2).join(' ') === 'sleep infinity').map((f) => Number(f[0]));
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

const segments = (lab: number) => readdirSync('/dev/shm').filter((n) => n.startsWith(`mdlab.${lab}.`));

function subscriberPids(lab: number): number[] {
  return labProcesses(lab).filter((l) => l.includes('subscriber-process')).map((l) => Number(l.split(/\s+/)[0]));
}

type Kind = 'SIGINT controller' | 'SIGKILL controller' | 'SIGKILL subscriber';

async function trial(i: number, kind: Kind, atMs: number): Promise<string> {
  const out = join(tmp.dir, `t${i}`);
  const json = join(tmp.dir, `t${i}.json`);
  const child = spawn(process.execPath, [MDLAB, 'run', 'configs/default.yaml', '--headless', '--quiet', '--duration', '2s', '--out', out, '--json', json], { cwd: ROOT, stdio: 'ignore' });
  const lab = child.pid!;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Its namespace holder, seen while the controller is its parent (other test files run labs too).
  const holders = new Set<number>();
  const t0 = Date.now();
  while (Date.now() - t0 < atMs) {
    for (const h of holdersOf(lab)) holders.add(h);
    await sleep(Math.min(50, Math.max(1, atMs - (Date.now() - t0))));
  }
  for (const h of holdersOf(lab)) holders.add(h);
  if (kind === 'SIGKILL subscriber') {
    const pids = subscriberPids(lab);
    if (pids.length > 0) process.kill(pids[Math.floor(atMs) % pids.length], 'SIGKILL');
  } else {
    child.kill(kind === 'SIGINT controller' ? 'SIGINT' : 'SIGKILL');
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await exited;
  clearTimeout(timer);
  // The warden gives children up to a moment to die, then sweeps.
  const until = Date.now() + 5000;
  while (Date.now() < until && (segments(lab).length > 0 || labProcesses(lab).length > 0 || [...holders].some(alive))) await sleep(50);
  expect([...holders].filter(alive), `trial ${i} (${kind} at ${atMs} ms): its network namespace's holder is left`).toEqual([]);
  expect(segments(lab), `trial ${i} (${kind} at ${atMs} ms): segments left`).toEqual([]);
  expect(labProcesses(lab), `trial ${i} (${kind} at ${atMs} ms): processes left`).toEqual([]);
  for (const f of [join(out, 'summary.json'), json]) {
    if (!existsSync(f)) continue;
    const r = JSON.parse(readFileSync(f, 'utf8')) as { complete: boolean; state: string; totals: { balanced: boolean; inFlight: number } };
    expect(r.totals.balanced, `trial ${i} (${kind} at ${atMs} ms): ${f} balances`).toBe(true);
    if (r.state === 'done' || r.state === 'failed') expect(r.totals.inFlight, `trial ${i}: nothing in flight at the end`).toBe(0);
    if (kind !== 'SIGKILL subscriber') expect(r.complete, `trial ${i}: an interrupted run is not complete`).toBe(false);
  }
  return `${kind} at ${atMs} ms: exit ${code}`;
}

describe('kill trials: nothing of a lab outlives it', () => {
  it(`${TRIALS} seeded trials (seed ${SEED}): controller SIGINT and SIGKILL, subscriber SIGKILL, from start-up on`, async () => {
    const rnd = prng(SEED);
    const kinds: Kind[] = ['SIGKILL controller', 'SIGINT controller', 'SIGKILL subscriber'];
    const log: string[] = [];
    for (let i = 0; i < TRIALS; i++) {
      // Half the trials in start-up (the first 900 ms), the rest anywhere in the run.
      const atMs = Math.round(i % 2 === 0 ? 50 + rnd() * 850 : 50 + rnd() * 2400);
      log.push(await trial(i, kinds[i % kinds.length], atMs));
    }
    if (LONG) process.stdout.write(`kill trials:\n${log.join('\n')}\n`);
  }, TRIALS * 40_000);
});

describe('a subscriber killed while the lab starts', () => {
  it('is a process that died: the run goes on and writes whole, balanced results', async () => {
    const json = join(tmp.dir, 'startup-kill.json');
    const child = spawn(process.execPath, [MDLAB, 'run', 'configs/ef-name-trap.yaml', '--headless', '--quiet', '--duration', '1500ms', '--json', json], { cwd: ROOT, stdio: 'ignore' });
    const lab = child.pid!;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kill the first subscriber as soon as it exists: it is still loading its modules.
    let victim = 0;
    for (let i = 0; i < 400 && victim === 0; i++) {
      victim = subscriberPids(lab)[0] ?? 0;
      if (victim === 0) await sleep(5);
    }
    expect(victim).toBeGreaterThan(0);
    process.kill(victim, 'SIGKILL');
    const code = await exited;
    expect([0, 1]).toContain(code);
    const r = JSON.parse(readFileSync(json, 'utf8')) as { complete: boolean; state: string; totals: { balanced: boolean; inFlight: number }; subscribers: { pid: number; alive: boolean }[] };
    expect(r.complete).toBe(true);
    expect(r.state).toBe('done');
    expect(r.totals).toMatchObject({ balanced: true, inFlight: 0 });
    expect(r.subscribers.find((s) => s.pid === victim)?.alive).toBe(false);
    expect(r.subscribers.some((s) => s.alive)).toBe(true);
  }, 60_000);
});
