import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { mdlab } from '../helpers/cli.js';
import { leftovers, sleep } from '../helpers/lab.js';
import { listSegments, pidAlive } from '../../src/shm/segment.js';
import { MDLAB, ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';
import { SAME_REQUEST_MS } from '../../src/cli/interrupts.js';

const tmp = tempDir();

describe('mdlab run', () => {
  it('--headless prints the report and writes the same as --json; exit 0 when every account balances', () => {
    const json = tmp.file('trap.json');
    const r = mdlab(['run', 'configs/ef-name-trap.yaml', '--headless', '--duration', '1500ms', '--json', json]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/NIC sfn6122f \(no multicast replication, 4096 filters\)/);
    expect(r.stdout).toMatch(/239\.100\.1\.1:26400 bypass → kernel {2}mcast-conflict/);
    expect(r.stdout).toMatch(/fix: EF_NAME=feed on book1 and book2/);
    expect(r.stdout).toMatch(/^book1 +239\.100\.1\.1:26400 +kernel +mcast-conflict/m);
    expect(r.stdout).toMatch(/Totals: sent [\d,]+ = bypass 0 \+ kernel [\d,]+ \+ dropped [\d,]+.*: balanced/);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc).toMatchObject({ state: 'done', config: { nic: 'sfn6122f' }, totals: { balanced: true } });
    expect(doc.node).toBe(process.version);
    expect(doc.events.filter((e: { cause?: string }) => e.cause === 'mcast-conflict')).toHaveLength(2);
    const m = doc.subscribers[0].memberships[0];
    expect(m).toMatchObject({ path: 'kernel', cause: 'mcast-conflict' });
    expect(m.latency.kernel.total.scheduled.count).toBeGreaterThan(0);
    // Nothing left by a lab whose process is gone (other test files may have labs running now).
    expect(listSegments().filter((n) => !pidAlive(Number(n.split('.')[1])))).toEqual([]);
  });

  it('Ctrl-C ends the run cleanly: a report, results marked partial, exit 130, no segment and no child left', async () => {
    const out = tmp.file('interrupted');
    const child = spawn(process.execPath, [MDLAB, 'run', 'configs/ef-name-trap.yaml', '--headless', '--duration', '30s', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let err = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (err += d));
    // Wait until the lab is up (its registry exists), then interrupt it.
    for (let i = 0; i < 100 && !listSegments(child.pid).some((n) => n.endsWith('.registry')); i++) await sleep(100);
    expect(listSegments(child.pid).length).toBeGreaterThan(0);
    await sleep(500);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, err).toBe(130);
    expect(err).toMatch(/SIGINT: ending the run/);
    expect(stdout).toMatch(/Totals: sent/);
    expect(stdout).toMatch(/PARTIAL: the run was interrupted/);
    expect(JSON.parse(readFileSync(`${out}/summary.json`, 'utf8')).complete).toBe(false);
    expect(readFileSync(`${out}/report.md`, 'utf8')).toMatch(/^# PARTIAL mdlab result/);
    expect(listSegments(child.pid)).toEqual([]);
    expect(leftovers().processes).toEqual([]);
  });

  it('a config error is one line naming the file and key, and nothing is started', () => {
    const bad = tmp.file('bad.yaml', `recording: ${ROOT}/recordings/default.pcap\nsubscribers: []\n`);
    const r = mdlab(['run', bad, '--headless']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.yaml: subscribers: expected a list of at least one subscriber/);
  });

  it('stackdump with no lab running says so', () => {
    const r = mdlab(['stackdump', '--lab', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no running lab with pid 1/);
  });
});

describe('a lab whose terminal hangs up (SIGHUP)', () => {
  it('ends the run and leaves nothing behind', async () => {
    const child = spawn(process.execPath, [MDLAB, 'run', 'configs/ef-name-trap.yaml', '--headless', '--duration', '30s'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    for (let i = 0; i < 100 && !listSegments(child.pid).some((n) => n.endsWith('.registry')); i++) await sleep(100);
    await sleep(500);
    // The terminal is gone: nothing can be written any more.
    child.stdout.destroy();
    child.stderr.destroy();
    child.kill('SIGHUP');
    await new Promise((resolve) => child.on('exit', resolve));
    for (let i = 0; i < 50 && listSegments(child.pid).length > 0; i++) await sleep(100);
    expect(listSegments(child.pid)).toEqual([]);
    expect(leftovers().processes).toEqual([]);
  });
});

describe('a lab whose controller is killed with SIGKILL', () => {
  it('leaves no child process and no segment behind', async () => {
    const child = spawn(process.execPath, [MDLAB, 'run', 'configs/ef-name-trap.yaml', '--headless', '--duration', '30s'], { cwd: ROOT, stdio: 'ignore' });
    for (let i = 0; i < 100 && !listSegments(child.pid).some((n) => n.endsWith('.registry')); i++) await sleep(100);
    const { execFileSync } = await import('node:child_process');
    const children = () => execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' }).split('\n').map((l) => Number(l.trim())).filter(Boolean);
    let kids = children();
    for (let i = 0; i < 100 && kids.length < 5; i++, kids = children()) await sleep(100);
    expect(kids.length).toBe(5); // the NIC, two subscribers, the lab's warden and its network namespace's holder
    await sleep(300);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    for (let i = 0; i < 50 && (kids.some(pidAlive) || listSegments(child.pid).length > 0); i++) await sleep(100);
    expect(kids.filter(pidAlive)).toEqual([]);
    expect(listSegments(child.pid)).toEqual([]);
  });
});

describe('a signal that reaches the controller twice at once', () => {
  // A run that fails here must not outlive it: once one hung, and its lab ran on, orphaned, after the suite.
  const started: ReturnType<typeof spawn>[] = [];
  afterEach(() => {
    for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  // detached: a process group of its own, as a shell gives a foreground job.
  const start = async (detached = false) => {
    const child = spawn(process.execPath, [MDLAB, 'run', 'configs/ef-name-trap.yaml', '--headless', '--duration', '30s'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached });
    started.push(child);
    const io = { stdout: '', err: '' };
    child.stdout.on('data', (d) => (io.stdout += d));
    child.stderr.on('data', (d) => (io.err += d));
    for (let i = 0; i < 100 && !listSegments(child.pid).some((n) => n.endsWith('.registry')); i++) await sleep(100);
    await sleep(500);
    return { child, io, exit: new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c))) };
  };

  it('is one request: timeout(1) signals its command and then its process group, which holds the command too', async () => {
    // Two SIGINTs 30 ms apart (timeout's are microseconds apart, and the kernel merges them only
    // when the first is still pending). Taken as "again: stop at once", such a run printed nothing.
    const { child, io, exit } = await start();
    child.kill('SIGINT');
    await sleep(30);
    child.kill('SIGINT');
    expect(await exit, io.err).toBe(130);
    expect(io.err).not.toMatch(/stopping at once/);
    expect(io.stdout).toMatch(/Totals: sent [\d,]+ = .*: balanced/);
    for (let i = 0; i < 50 && listSegments(child.pid).length > 0; i++) await sleep(100);
    expect(listSegments(child.pid)).toEqual([]);
    expect(leftovers().processes).toEqual([]);
  });

  it('a repeat that lands after the run has ended and reported, within its window, is the same request: exit 130, not killed', async () => {
    // A lab ends within tens of ms of the first signal: the repeat can land after its handlers
    // are gone, as the process exits. The process waits out the window instead.
    const { child, io, exit } = await start();
    const firstAt = Date.now();
    child.kill('SIGINT');
    for (let i = 0; i < 250 && !/Totals: sent/.test(io.stdout); i++) await sleep(1);
    const waited = Date.now() - firstAt;
    if (waited < 250) child.kill('SIGINT');
    expect(await exit, `${io.err} (repeat sent ${waited} ms after the first)`).toBe(130);
    expect(child.signalCode).toBeNull();
    expect(io.stdout).toMatch(/Totals: sent [\d,]+ = .*: balanced/);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s to the whole process group (a Ctrl-C at a terminal, timeout(1)) reaches the controller alone, and the run ends as from one to it', async (sig) => {
    // The lab's children have a process group of their own: when they got it too, they died
    // first, lost what they held (process-exit drops), and the run was an error.
    const { child, io, exit } = await start(true);
    process.kill(-child.pid!, sig);
    expect(await exit, io.err).toBe(130);
    expect(io.stdout).toMatch(/Totals: sent [\d,]+ = .*: balanced/);
    expect(io.stdout).not.toMatch(/process-exit|killed by SIG|^error:/m);
    for (let i = 0; i < 50 && listSegments(child.pid).length > 0; i++) await sleep(100);
    expect(listSegments(child.pid)).toEqual([]);
    expect(leftovers().processes).toEqual([]);
  });

  it('a second one later stops at once, and says so', async () => {
    const { child, io, exit } = await start();
    // The NIC stopped (SIGSTOP) cannot end its replay: the run is still ending when the second comes.
    const { execFileSync } = await import('node:child_process');
    const nic = Number(execFileSync('pgrep', ['-P', String(child.pid), '-f', 'nic-process.js'], { encoding: 'utf8' }).trim());
    expect(nic).toBeGreaterThan(0);
    process.kill(nic, 'SIGSTOP');
    child.kill('SIGINT');
    await sleep(SAME_REQUEST_MS + 200);
    expect(child.exitCode).toBe(null);
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(io.err).toMatch(/SIGINT again: stopping at once, without a report/);
    for (let i = 0; i < 50 && listSegments(child.pid).length > 0; i++) await sleep(100);
    expect(listSegments(child.pid)).toEqual([]);
    expect(leftovers().processes).toEqual([]);
  });
});
