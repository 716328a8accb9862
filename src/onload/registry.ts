/**
 * The stack registry: what `mdlab stackdump` reads, from another process, while a lab runs:
 * stacks (id, name, PIDs), their filters and each member's state. Written by the controller
 * only, as one JSON document behind a seqlock (readers retry while it changes).
 *
 *   0 magic 'MDRG'  4 version  8 sequence (odd while written)  12 length  16..63 reserved  64.. JSON
 */
import { checkHeader, createSegment, fourcc, listSegments, openSegment, pidAlive } from '../shm/segment.js';
import { MdlabError } from '../errors.js';

export const REGISTRY_MAGIC = fourcc('MDRG');
export const REGISTRY_LAYOUT_VERSION = 2;
const DATA = 64;
const SIZE = 1 << 20;

export type MemberState = 'ACCELERATED' | 'KERNEL' | 'NO-TRAFFIC';

/**
 * One socket of a stack, with the counters onload_stackdump prints for it (udp.c,
 * ci_udp_state_dump): what reached it at user level (`tot_pkts`, by bypass), through the kernel
 * (`os`), and what it lost (`oflow_drop`: its socket queue overflowed; `mem_drop`: here, the
 * reader fell a ring behind, the stack's buffers reused before it read them).
 */
export interface RegistrySocket {
  /** Its index in the stack (Onload's N:S socket id); null before it attached. */
  socket: number | null;
  subscriber: string;
  pid: number;
  group: string;
  state: MemberState;
  /** Packets read by kernel bypass (tot_pkts). */
  delivered: number;
  /** Packets read through the kernel socket (os=). */
  os: number;
  oflowDrop: number;
  /** Ring overruns (mem_drop). */
  overrun: number;
  /** Sent to it and not yet read (q_pkts), and the most seen so far (q_max_pkts). */
  queued: number;
  maxQueued: number;
}

export interface RegistryDocument {
  labPid: number;
  config: string;
  nic: string;
  /** Whether the NIC replicates multicast to several stacks (filters' mcast_replicate). */
  replication: boolean;
  filterTable: number;
  /** When the lab started (not when this was published: a reader stamps its own dump time). */
  startedAt: string;
  publishedAt: string;
  stacks: {
    id: number;
    name: string;
    segment: string;
    pids: number[];
    live: boolean;
    rxPackets: number;
    sockets: RegistrySocket[];
  }[];
  filters: { group: string; stack: number }[];
  /** Filters wanted but not installed, for want of room in the table. */
  refused: { group: string; stack: number }[];
  members: { stack: number | null; subscriber: string; pid: number; group: string; path: string; cause: string | null; state: MemberState }[];
  /** The lab's groups (as its config names them), and where its kernel path runs: `mdlab record --lab` joins them there. Absent from older labs. */
  groups?: string[];
  isolation?: { kind: string; pid: number | null; portOffset: number; enter: string[] };
}

export class RegistryWriter {
  private readonly i32: Int32Array;
  private readonly bytes: Buffer;

  constructor(readonly name: string) {
    const buf = createSegment(name, SIZE);
    this.i32 = new Int32Array(buf);
    this.bytes = Buffer.from(buf);
    this.i32[1] = REGISTRY_LAYOUT_VERSION;
    Atomics.store(this.i32, 0, REGISTRY_MAGIC);
  }

  publish(doc: RegistryDocument): void {
    const json = Buffer.from(JSON.stringify(doc));
    if (json.length > SIZE - DATA) throw new MdlabError(`registry document too large (${json.length} bytes)`);
    Atomics.add(this.i32, 2, 1);
    json.copy(this.bytes, DATA);
    this.i32[3] = json.length;
    Atomics.add(this.i32, 2, 1);
  }
}

export function readRegistry(name: string): RegistryDocument {
  const buf = openSegment(name);
  const i32 = new Int32Array(buf);
  checkHeader(i32, REGISTRY_MAGIC, REGISTRY_LAYOUT_VERSION, `registry ${name}`);
  const bytes = Buffer.from(buf);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const before = Atomics.load(i32, 2);
    if ((before & 1) === 1) continue;
    if (before === 0) throw new MdlabError(`registry ${name} is not written yet (the lab is starting)`);
    const text = bytes.toString('utf8', DATA, DATA + i32[3]);
    if (Atomics.load(i32, 2) === before) return JSON.parse(text) as RegistryDocument;
  }
  throw new MdlabError(`registry ${name} kept changing while being read`);
}

/** Registries of running labs (their controller process alive). */
export function liveRegistries(): string[] {
  return listSegments().filter((n) => n.endsWith('.registry') && pidAlive(Number(n.split('.')[1])));
}

/** The documents of running labs that have published one (a lab that is starting is skipped). */
export function readLiveRegistries(): RegistryDocument[] {
  const docs: RegistryDocument[] = [];
  for (const name of liveRegistries()) {
    try {
      docs.push(readRegistry(name));
    } catch {
      // starting, or gone between the listing and the read
    }
  }
  return docs;
}
