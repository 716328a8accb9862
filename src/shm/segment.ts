/**
 * Shared-memory segments (POSIX shm under /dev/shm) through mdlab's tiny N-API addon
 * (native/shm.c, built by node-gyp during `npm install`). Every mdlab segment is named
 * `mdlab.<lab pid>.<what>`, so a lab's segments can be found, and stale ones swept.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MdlabError } from '../errors.js';

interface ShmAddon {
  create(name: string, size: number): ArrayBuffer;
  /** With prefault, every page is touched through this mapping before it returns. */
  open(name: string, prefault?: boolean): ArrayBuffer;
  unlink(name: string): boolean;
  setAffinity(cpus: number[]): void;
  getAffinity(): number[];
  clockCell(): ArrayBuffer;
  clockNow(): void;
  captureOpen(group: number, port: number, iface: number, rcvbuf: number, force?: number): number;
  captureRcvbuf(fd: number): number;
  /** SO_SNDBUF(FORCE) on a socket; returns what the kernel granted (twice the request, as it reports). */
  socketSendBuffer(fd: number, bytes: number): number;
  captureRead(fd: number, buffer: Buffer, slotSize: number, meta: Float64Array): number;
  captureWait(fds: number[], ms: number): number;
  captureClose(fd: number): void;
  realtimeNow(): [number, number];
  /** Runs `callback(status)` in the event loop whenever `fd` is readable (status -1: the socket failed). */
  socketWatch(fd: number, callback: (status: number) => void): unknown;
  socketUnwatch(handle: unknown): void;
  udpOpen(addr: number, port: number): number;
  udpPort(fd: number): number;
  udpSend(fd: number, addr: number, port: number, buffer: Buffer): number;
  mcastOpen(group: number, port: number, iface: number): number;
  mcastSend(fd: number, buffer: Buffer, offset: number, length: number): number;
}

let addon: ShmAddon | undefined;

/** The addon itself, for the kernel path's capture sockets (src/kernel/udp-capture.ts). */
export function addonModule(): ShmAddon {
  return load();
}

function load(): ShmAddon {
  if (!addon) {
    const require = createRequire(import.meta.url);
    try {
      addon = require('../../build/Release/mdlab_shm.node') as ShmAddon;
    } catch (err) {
      throw new MdlabError(`the shared-memory addon is not built (${(err as Error).message.split('\n')[0]}); run npm install`);
    }
  }
  return addon;
}

export const SHM_DIR = '/dev/shm';
export const SEGMENT_PREFIX = 'mdlab.';

export function segmentName(labPid: number, what: string): string {
  return `${SEGMENT_PREFIX}${labPid}.${what}`;
}

/** Creates a new segment (mode 0600), zero-filled, its memory allocated now; fails if the name exists or /dev/shm has no room. */
export function createSegment(name: string, size: number): ArrayBuffer {
  return load().create(`/${name}`, size);
}

/**
 * Maps an existing segment. `prefault`: touch every page now (EF_PREFAULT_PACKETS), so that its
 * first use mid-run does not pay the page-table work (~4 us a page on a VM here): for the rings
 * that the NIC and the subscribers use on every packet.
 */
export function openSegment(name: string, prefault = false): ArrayBuffer {
  try {
    return load().open(`/${name}`, prefault);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw new MdlabError(`shared memory segment ${name} does not exist (has the lab stopped?)`);
    throw err;
  }
}

/** Removes the name; processes that mapped it keep their mapping. True if it existed. */
export function unlinkSegment(name: string): boolean {
  return load().unlink(`/${name}`);
}

/** Names of mdlab segments in /dev/shm, optionally of one lab. */
export function listSegments(labPid?: number): string[] {
  const prefix = labPid === undefined ? SEGMENT_PREFIX : `${SEGMENT_PREFIX}${labPid}.`;
  try {
    return readdirSync(SHM_DIR).filter((n) => n.startsWith(prefix)).sort();
  } catch {
    return [];
  }
}

/** Whether a process is running: a zombie (exited, not yet reaped) counts as gone. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Removes segments left by labs whose process is gone (a lab killed with SIGKILL). */
export function sweepStaleSegments(): string[] {
  const removed: string[] = [];
  for (const name of listSegments()) {
    const pid = Number(name.split('.')[1]);
    if (Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) {
      unlinkSegment(name);
      removed.push(name);
    }
  }
  return removed;
}

/** Checks a segment's magic and layout version, as every reader must before trusting it. */
export function checkHeader(i32: Int32Array, magic: number, version: number, what: string): void {
  if (i32[0] !== magic) throw new MdlabError(`${what}: not an mdlab segment of this kind (magic 0x${(i32[0] >>> 0).toString(16)})`);
  if (i32[1] !== version) throw new MdlabError(`${what}: layout version does not match: version=${i32[1]} required=${version}`);
}

export function fourcc(s: string): number {
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) | 0;
}

/** Pins every thread of this process (V8's helpers too) to the given CPUs (the addon's sched_setaffinity per thread). */
export function setAffinity(cpus: number[]): void {
  load().setAffinity(cpus);
}

/** The CPUs this process's main thread may run on (sched_getaffinity). */
export function getAffinity(): number[] {
  return load().getAffinity();
}

/**
 * The addon's clock: CLOCK_MONOTONIC in ns, read into a cell without allocating (null when the
 * addon is not built: the caller falls back to performance.now()).
 */
export function allocationFreeClock(): { now: () => void; cell: Float64Array } | null {
  try {
    const a = load();
    return { now: a.clockNow, cell: new Float64Array(a.clockCell()) };
  } catch {
    return null;
  }
}
