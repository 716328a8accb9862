/**
 * Lab configs (YAML or JSON): the recording, the replay speed, the NIC model, the subscribers
 * and their Onload settings. Validated with errors that name the file, the key path and what
 * was expected; unknown keys are errors, not silently ignored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { parseDuration } from '../cli/duration.js';
import { MdlabError } from '../errors.js';
import { parseGroup } from '../feed/channels.js';
import { NIC_MODELS, type NicModel } from '../nic/models.js';
import { MAX_GROUPS, MAX_MEMBERSHIPS } from '../onload/stack-layout.js';
import { WORKS, type Work } from '../subscriber/feed-handler.js';
import { RECEIVE_MODES, type ReceiveMode } from '../subscriber/receive-modes.js';
import type { SubscriberSettings } from '../subscriber/settings.js';

export interface LabConfig {
  file: string;
  name: string;
  description: string;
  recording: string;
  /** Multiple of recorded pace; 0 = top speed. */
  speed: number;
  durationNs: number | null;
  loop: boolean;
  nic: NicModel;
  filterTable: number;
  subscribers: SubscriberSettings[];
  /** Every group any subscriber joins, in first-mention order (the NIC's group table). */
  groups: string[];
}

export const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_-]{0,23}$/;
const TOP_KEYS = ['name', 'description', 'recording', 'speed', 'duration', 'loop', 'nic', 'subscribers'] as const;
const NIC_KEYS = ['model', 'filterTable'] as const;
const SUB_KEYS = ['name', 'onload', 'groups', 'env', 'receive', 'work', 'delay', 'ring', 'rcvbuf', 'cpu'] as const;
const ENV_KEYS = ['EF_NAME', 'EF_POLL_USEC', 'EF_INT_DRIVEN', 'EF_DONT_ACCELERATE', 'EF_MCAST_RECV'] as const;
export const DEFAULT_RING = 4096;

class ConfigError extends MdlabError {
  constructor(file: string, path: string, what: string) {
    super(`${file}: ${path}: ${what}`);
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

export class Validator {
  constructor(readonly file: string) {}

  fail(path: string, what: string): never {
    throw new ConfigError(this.file, path, what);
  }

  object(path: string, v: unknown, keys: readonly string[]): Obj {
    if (!isObj(v)) this.fail(path, `expected a mapping with keys ${keys.join(', ')}, got ${show(v)}`);
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) this.fail(path ? `${path}.${k}` : k, `unknown key; expected one of ${keys.join(', ')}`);
    }
    return v;
  }

  string(path: string, v: unknown): string {
    if (typeof v !== 'string' || v.length === 0) this.fail(path, `expected a non-empty string, got ${show(v)}`);
    return v;
  }

  identifier(path: string, v: unknown): string {
    const s = typeof v === 'number' ? String(v) : v;
    if (typeof s !== 'string' || !IDENTIFIER.test(s)) this.fail(path, `expected a short identifier (a letter, then letters, digits, '_' or '-', at most 24), got ${show(v)}`);
    return s;
  }

  boolean(path: string, v: unknown): boolean {
    if (typeof v === 'boolean') return v;
    this.fail(path, `expected true or false, got ${show(v)}`);
  }

  /** Onload-style flags: 0/1 (numbers or strings), or true/false. */
  flag(path: string, v: unknown): boolean {
    if (v === true || v === 1 || v === '1') return true;
    if (v === false || v === 0 || v === '0') return false;
    this.fail(path, `expected 0 or 1, got ${show(v)}`);
  }

  integer(path: string, v: unknown, min: number, max: number, unit = ''): number {
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) this.fail(path, `expected a whole number${unit} from ${min} to ${max}, got ${show(v)}`);
    return n;
  }

  duration(path: string, v: unknown): number {
    if (typeof v !== 'string') this.fail(path, `expected a duration such as 500ms, 3s or 2m, got ${show(v)}`);
    try {
      return parseDuration(v, path);
    } catch {
      this.fail(path, `expected a duration such as 500ms, 3s or 2m, got ${show(v)}`);
    }
  }

  oneOf<T extends string>(path: string, v: unknown, options: readonly T[]): T {
    if (typeof v !== 'string' || !options.includes(v as T)) this.fail(path, `expected one of ${options.join(', ')}, got ${show(v)}`);
    return v as T;
  }

  group(path: string, v: unknown): string {
    if (typeof v !== 'string') this.fail(path, `expected a group ADDRESS:PORT such as 239.100.1.1:26400, got ${show(v)}`);
    try {
      parseGroup(v, 'group');
    } catch (err) {
      this.fail(path, (err as Error).message.replace(/^group /, ''));
    }
    return v.trim();
  }
}

export function readConfigFile(file: string): unknown {
  if (!existsSync(file)) throw new MdlabError(`${file}: no such config file`);
  const text = readFileSync(file, 'utf8');
  try {
    return extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    if (err instanceof YAMLParseError) throw new MdlabError(`${file}: line ${err.linePos?.[0].line ?? '?'}: ${err.message.split('\n')[0]}`);
    throw new MdlabError(`${file}: ${(err as Error).message}`);
  }
}

export function loadConfig(file: string): LabConfig {
  return validateConfig(readConfigFile(file), file);
}

export function validateConfig(raw: unknown, file: string): LabConfig {
  const v: Validator = new Validator(file); // annotated, so that its never-returning fail() narrows types
  const top = v.object('', raw, TOP_KEYS);
  const name = top.name === undefined ? basename(file).replace(/\.(ya?ml|json)$/, '') : v.identifier('name', top.name);
  const description = top.description === undefined ? '' : v.string('description', top.description);
  const recordingRel = v.string('recording', top.recording);
  const recording = isAbsolute(recordingRel) ? recordingRel : resolve(dirname(file), recordingRel);
  if (!existsSync(recording)) v.fail('recording', `no such file: ${recording}`);

  let speed = 1;
  if (top.speed !== undefined) {
    if (top.speed === 'top') speed = 0;
    else if (typeof top.speed === 'number' && top.speed > 0 && top.speed <= 10000) speed = top.speed;
    else v.fail('speed', `expected a multiple of the recorded pace (a number above 0, at most 10000) or "top", got ${show(top.speed)}`);
  }
  const durationNs = top.duration === undefined ? null : v.duration('duration', top.duration);
  const loop = top.loop === undefined ? false : v.boolean('loop', top.loop);
  if (loop && durationNs === null) v.fail('loop', 'a looping replay needs a duration to end it');

  const nicRaw = v.object('nic', top.nic ?? {}, NIC_KEYS);
  const modelName = nicRaw.model === undefined ? 'sfn6122f' : v.oneOf('nic.model', nicRaw.model, Object.keys(NIC_MODELS));
  const nic = NIC_MODELS[modelName];
  let filterTable = nic.filterTable;
  if (nicRaw.filterTable !== undefined) filterTable = v.integer('nic.filterTable', nicRaw.filterTable, 1, 1 << 20);
  if (filterTable === undefined) v.fail('nic.filterTable', `the ${modelName} model has no fixed filter table: give its size`);

  if (!Array.isArray(top.subscribers) || top.subscribers.length === 0) v.fail('subscribers', `expected a list of at least one subscriber, got ${show(top.subscribers)}`);
  const groups: string[] = [];
  const names = new Set<string>();
  const subscribers = top.subscribers.map((s, i) => {
    const p = `subscribers[${i}]`;
    const o = v.object(p, s, SUB_KEYS);
    const sname = v.identifier(`${p}.name`, o.name);
    if (names.has(sname)) v.fail(`${p}.name`, `${sname} is already the name of another subscriber`);
    names.add(sname);
    const env = v.object(`${p}.env`, o.env ?? {}, ENV_KEYS);
    if (!Array.isArray(o.groups) || o.groups.length === 0) v.fail(`${p}.groups`, `expected a list of groups such as [239.100.1.1:26400], got ${show(o.groups)}`);
    const sgroups = o.groups.map((g, j) => v.group(`${p}.groups[${j}]`, g));
    for (const g of sgroups) if (!groups.includes(g)) groups.push(g);
    const ring = o.ring === undefined ? DEFAULT_RING : v.integer(`${p}.ring`, o.ring, 4, 1 << 20, ' of slots');
    if ((ring & (ring - 1)) !== 0) v.fail(`${p}.ring`, `expected a power of two, got ${ring}`);
    const settings: SubscriberSettings = {
      name: sname,
      onload: o.onload === undefined ? true : v.boolean(`${p}.onload`, o.onload),
      efName: env.EF_NAME === undefined || env.EF_NAME === '' ? null : v.identifier(`${p}.env.EF_NAME`, env.EF_NAME),
      pollUsec: env.EF_POLL_USEC === undefined ? 0 : v.integer(`${p}.env.EF_POLL_USEC`, env.EF_POLL_USEC, 0, 1e9, ' of microseconds'),
      intDriven: env.EF_INT_DRIVEN === undefined ? false : v.flag(`${p}.env.EF_INT_DRIVEN`, env.EF_INT_DRIVEN),
      dontAccelerate: env.EF_DONT_ACCELERATE === undefined ? false : v.flag(`${p}.env.EF_DONT_ACCELERATE`, env.EF_DONT_ACCELERATE),
      mcastRecv: env.EF_MCAST_RECV === undefined ? true : v.flag(`${p}.env.EF_MCAST_RECV`, env.EF_MCAST_RECV),
      groups: sgroups,
      receive: o.receive === undefined ? 'copy' : v.oneOf<ReceiveMode>(`${p}.receive`, o.receive, RECEIVE_MODES),
      work: o.work === undefined ? 'decode' : v.oneOf<Work>(`${p}.work`, o.work, WORKS),
      delayNs: o.delay === undefined ? 0 : v.duration(`${p}.delay`, o.delay),
      ring,
      rcvbuf: o.rcvbuf === undefined ? undefined : v.integer(`${p}.rcvbuf`, o.rcvbuf, 1024, 1 << 30, ' of bytes'),
      cpu: o.cpu === undefined ? null : v.integer(`${p}.cpu`, o.cpu, 0, 1023),
    };
    if (!settings.onload && Object.keys(env).length > 0) v.fail(`${p}.env`, 'a subscriber with onload: false takes no EF_* settings');
    return settings;
  });
  if (groups.length > MAX_GROUPS) v.fail('subscribers', `at most ${MAX_GROUPS} groups in one lab, got ${groups.length}`);
  const memberships = subscribers.reduce((n, s) => n + s.groups.length, 0);
  if (memberships > MAX_MEMBERSHIPS / 2) v.fail('subscribers', `at most ${MAX_MEMBERSHIPS / 2} group memberships in one lab, got ${memberships}`);
  return { file, name, description, recording, speed, durationNs, loop, nic, filterTable, subscribers, groups };
}
