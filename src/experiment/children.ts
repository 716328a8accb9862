/** Starting the lab's child processes (the NIC, subscribers) and making sure none outlives the lab. */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's compiled code, whether this module runs from dist/ or (in tests) from src/. */
function distDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist');
}

const DIST = distDir();
/** Loaded first in every child (node --require): it follows the controller from its first line. */
const PRELOAD = join(DIST, 'experiment', 'child-preload.cjs');
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
let warden: ChildProcess | undefined;
let wardenReady: Promise<void> | undefined;

/**
 * Starts this process's warden (once): the process that, whenever and however this one dies,
 * makes sure its children are gone and removes its segments. Await it before creating the first
 * segment: from then on nothing of the lab can outlive it.
 */
export function ensureWarden(): Promise<void> {
  wardenReady ??= new Promise<void>((resolve, reject) => {
    const w = fork(join(DIST, 'experiment', 'warden.js'), [String(process.pid)], { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'json', execArgv: [] });
    const fail = (why: string) => {
      wardenReady = undefined;
      reject(new Error(`the lab's warden process did not start (${why})`));
    };
    w.once('error', (e) => fail(e.message));
    w.once('exit', (code, signal) => {
      if (warden === w) warden = undefined;
      fail(signal ?? `code ${code}`);
    });
    w.once('message', () => {
      warden = w;
      for (const c of live) if (c.pid) w.send({ child: c.pid });
      // It must not keep this process alive: it only waits for it to go.
      w.unref();
      w.channel?.unref();
      resolve();
    });
  });
  return wardenReady;
}

/** Tells the warden of a process that is the lab's but not forked here (the namespace holder). */
export function wardenWatch(pid: number): void {
  if (warden?.connected) warden.send({ child: pid });
}

/**
 * The NIC and subscribers allocate next to nothing per packet: a small young generation (V8's
 * default semi-space is 16 MB, three of them) is all they need, and keeps their resident memory
 * down. It starts at that size, not at 1 MB to grow when garbage survives: a process that makes
 * little garbage at start (the bundled subscriber) stayed at 1 MB and scavenged twice as often.
 * MDLAB_SEMI_SPACE_MB overrides it (0: V8's default).
 *
 * V8's memory reducer is off: seeing a low allocation rate, it takes the process for idle and
 * runs full collections to shrink its heap, and in a process that spins on its CPU those run in
 * its poll loop (a spinner's turns above 1 ms went away only without it). A feed handler's heap
 * is sized once, as a JVM's -Xms is: its garbage is what keeps it small.
 */
function semiSpace(mb: number): string[] {
  const set = Number(process.env.MDLAB_SEMI_SPACE_MB ?? mb);
  return Number.isFinite(set) && set > 0 ? [`--min-semi-space-size=${set}`, `--max-semi-space-size=${set}`] : [];
}

export const CHILD_HEAP = [...semiSpace(2), '--no-memory-reducer'];

/**
 * A subscriber's young generation is 1 MB (after CHILD_HEAP's, so it wins): a spinner makes
 * ~0.7 MB/s of garbage (a turn of the event loop every 4 ms, its reports), a scavenge a second
 * or so, and every MB of young generation is about two of peak RSS (both semi-spaces are
 * touched). At 2 MB, a 1 GB replay peaked at 60.8 MB against the 60 MB target.
 */
export const SUBSCRIBER_SEMI_SPACE_MB = 1;
const SUBSCRIBER_HEAP = semiSpace(SUBSCRIBER_SEMI_SPACE_MB);

type ChildModule = 'nic/nic-process.js' | 'subscriber/subscriber-process.js' | 'bench/probe-child.js' | 'recovery/server-child.js' | 'kernel/socket-room-child.js';

/**
 * A subscriber runs from its bundle (scripts/bundle.mjs: one CommonJS file, without Node's ESM
 * loader). Pinned to a CPU of its own, it also runs single-threaded: V8 compiles and collects on
 * its main thread. Its helper threads share that one CPU (setAffinity moves them all), so their
 * work only took turns with the poll loop; and the compiler thread's malloc arena was ~4 MB of
 * its peak RSS here. Unpinned, it keeps V8's compiler thread: on a busy host a compile on the main
 * thread (tens of ms) is that long without reading, and a reader sharing its CPUs was lapped.
 */
const SUBSCRIBER_BUNDLE = join(DIST, 'bundle', 'subscriber-process.cjs');
const OWN_CPU_FLAGS = ['--single-threaded'];

function entryOf(module: ChildModule, ownCpu: boolean): { file: string; flags: readonly string[] } {
  if (module !== 'subscriber/subscriber-process.js') return { file: join(DIST, module), flags: [] };
  if (!existsSync(SUBSCRIBER_BUNDLE)) throw new Error(`${SUBSCRIBER_BUNDLE}: not built (npm run build makes it)`);
  return { file: SUBSCRIBER_BUNDLE, flags: [...SUBSCRIBER_HEAP, ...(ownCpu ? OWN_CPU_FLAGS : [])] };
}

/**
 * Forks a compiled module of mdlab with an IPC channel; its stderr is kept for error reports.
 * `enter` is a command prefix that starts it inside the lab's network namespace (nsenter), or empty;
 * `ownCpu`: it will be pinned to a CPU of its own (a subscriber's `cpu`).
 */
export function forkChild(module: ChildModule, enter: readonly string[] = [], ownCpu = false): { child: ChildProcess; stderr: () => string } {
  const entry = entryOf(module, ownCpu);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Whatever ends the lab process, no child outlives it.
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const nodeArgs = [...process.execArgv, ...CHILD_HEAP, ...entry.flags, '--require', PRELOAD];
  // nsenter execs node in place: the same process, the controller's child, inside the namespace.
  // Not detached (a session of its own would also be a scheduling group of its own, where the
  // kernel groups by session): the preload gives it its own process group instead.
  const child = fork(entry.file, [`--lab=${process.pid}`], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
    ...(enter.length > 0 ? { execPath: enter[0], execArgv: [...enter.slice(1), process.execPath, ...nodeArgs] } : { execArgv: nodeArgs }),
    env: { ...process.env, MDLAB_CONTROLLER_PID: String(process.pid) },
  });
  live.add(child);
  if (child.pid && warden?.connected) warden.send({ child: child.pid });
  child.on('exit', () => {
    live.delete(child);
    if (child.pid && warden?.connected) warden.send({ gone: child.pid });
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  return { child, stderr: () => err };
}

export function liveChildren(): number {
  return live.size;
}

/** A one-line reason from a child's stderr (its last error line), for the report. */
export function lastErrorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const e = [...lines].reverse().find((l) => /Error|error:/.test(l));
  return e ?? lines[lines.length - 1] ?? '';
}
