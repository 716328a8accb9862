/**
 * Cost profiles for model mode (DESIGN §12): what each step of the data path costs, in virtual
 * nanoseconds, each number with its source. Shipped profiles live in configs/profiles/*.json;
 * `mdlab calibrate` writes a `host` one measured here. A profile is validated whole on load, and
 * a bad one gets one line naming the key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MdlabError, quote } from '../errors.js';

/** Every cost a profile gives, with what it is: the keys of a profile's `costs`. */
export const COST_KEYS = {
  nicPacketNs: 'the NIC\'s own work per packet: read it from the recording, frame it, pace it',
  dmaNs: 'one DMA of a frame into a stack\'s RX ring, from the NIC\'s send to the frame in the ring',
  dmaIssueNs: 'the NIC starting the next copy of a replicated frame: copies are pipelined, the k-th lands k issues after the first (a NIC process in software writes them in turn: the same as dmaNs)',
  kernelSendNs: 'the NIC handing a packet to the kernel (a send on loopback)',
  softirqNs: 'the kernel\'s receive work per packet (softirq: IP and UDP), before any socket',
  socketDeliverNs: 'the kernel queueing one copy to one joined socket (done for every joined socket in turn: the fan-out)',
  copyNsPerByte: 'a payload copy, per byte',
  recvmsgNs: 'a recvmsg system call, besides its copy',
  ringReadNs: 'a reader\'s check of one ring slot (stamps, sequence)',
  stackParseNs: 'Onload\'s stack library parsing a frame\'s headers in the process (onload, onload-zc)',
  efviParseNs: 'an ef_vi application parsing Ethernet/IPv4/UDP itself',
  offloadRecvNs: 'a read of one payload from an offloaded socket',
  spinPollNs: 'a spinning reader\'s poll loop: the most a packet waits to be seen',
  interruptNs: 'interrupt to running: a blocked reader\'s wake-up latency',
  contextSwitchNs: 'the CPU a context switch costs the process that blocks and wakes',
  schedSliceNs: 'the scheduler\'s slice: a process sharing a CPU with a spinner waits this long for it',
  decodeNsPerMessage: 'decoding one ITCH message (type, locate, timestamp)',
  bookNsPerMessage: 'decoding one ITCH message and applying it to an order book',
  truesizeOverheadBytes: 'bytes a kernel socket buffer charges a datagram beyond its payload (skb truesize)',
  defaultRcvbufBytes: 'a kernel socket\'s receive buffer when the config sets none (net.core.rmem_default)',
} as const;

export type CostKey = keyof typeof COST_KEYS;
export type Costs = Record<CostKey, number>;

export interface Profile {
  name: string;
  description: string;
  /** CPUs the modelled host has. */
  cores: number;
  costs: Costs;
  /** Where each cost comes from (a measurement here, or a published figure with its citation). */
  sources: Record<CostKey, string>;
  /** Facts about the host it was measured on (calibrated profiles). */
  host?: Record<string, string | number>;
  file: string;
}

const PROFILE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'configs', 'profiles');

export function shippedProfiles(): string[] {
  try {
    return ['host-2vcpu', 'siena-onload', 'ef10-onload', 'x3-onload'].filter((n) => existsSync(join(PROFILE_DIR, `${n}.json`)));
  } catch {
    return [];
  }
}

/** Validates a parsed profile document; errors name the file and key. */
export function validateProfile(raw: unknown, file: string): Profile {
  const fail = (key: string, what: string): never => {
    throw new MdlabError(`${file}: ${key}: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('(top)', 'expected a JSON object with name, cores and costs');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['name', 'description', 'cores', 'costs', 'host'].includes(k)) fail(k, `unknown key; a profile has name, description, cores, costs and host`);
  if (typeof o.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,39}$/.test(o.name)) fail('name', `expected a short identifier, got ${quote(o.name)}`);
  const cores = o.cores;
  if (typeof cores !== 'number' || !Number.isInteger(cores) || cores < 1 || cores > 1024) fail('cores', `expected a whole number of CPUs from 1 to 1024, got ${quote(cores)}`);
  if (typeof o.costs !== 'object' || o.costs === null || Array.isArray(o.costs)) fail('costs', 'expected an object of costs, each {"value": N, "source": "…"}');
  const costs = {} as Costs;
  const sources = {} as Record<CostKey, string>;
  const given = o.costs as Record<string, unknown>;
  for (const k of Object.keys(given)) if (!(k in COST_KEYS)) fail(`costs.${k}`, `unknown cost; the costs are ${Object.keys(COST_KEYS).join(', ')}`);
  for (const k of Object.keys(COST_KEYS) as CostKey[]) {
    const c = given[k];
    if (c === undefined) fail(`costs.${k}`, `missing (${COST_KEYS[k]})`);
    if (typeof c !== 'object' || c === null) fail(`costs.${k}`, `expected {"value": N, "source": "…"}, got ${quote(c)}`);
    const { value, source } = c as { value?: unknown; source?: unknown };
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1e12) fail(`costs.${k}.value`, `expected a number of ns (bytes for the byte sizes) from 0 to 1e12, got ${quote(value)}`);
    if (typeof source !== 'string' || source.trim() === '') fail(`costs.${k}.source`, 'expected where the number comes from (a measurement, or a citation)');
    costs[k] = value as number;
    sources[k] = source as string;
  }
  if (costs.defaultRcvbufBytes < 256) fail('costs.defaultRcvbufBytes.value', 'at least 256 bytes');
  return {
    name: o.name as string, description: typeof o.description === 'string' ? o.description : '', cores: cores as number, costs, sources,
    host: typeof o.host === 'object' && o.host !== null ? (o.host as Record<string, string | number>) : undefined, file,
  };
}

/** A shipped profile by name, or a profile file by path. */
export function loadProfile(nameOrFile: string, base = process.cwd()): Profile {
  const asFile = nameOrFile.endsWith('.json') || nameOrFile.includes('/');
  const file = asFile ? (isAbsolute(nameOrFile) ? nameOrFile : resolve(base, nameOrFile)) : join(PROFILE_DIR, `${nameOrFile}.json`);
  if (!existsSync(file)) {
    throw new MdlabError(asFile ? `${file}: no such profile file` : `no profile named ${quote(nameOrFile)}: the shipped ones are ${shippedProfiles().join(', ')} (or give a file, such as one mdlab calibrate wrote)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MdlabError(`${file}: not JSON (${(err as Error).message.split('\n')[0]})`);
  }
  return validateProfile(raw, file);
}

export const DEFAULT_PROFILE = 'host-2vcpu';
