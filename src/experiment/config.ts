/**
 * Lab configs (YAML or JSON): the recording, the replay speed, the NIC model, the subscribers
 * and their Onload settings. Validated with errors that name the file, the key path and what
 * was expected; unknown keys are errors, not silently ignored.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { isCollection, LineCounter, parseAllDocuments, visit } from 'yaml';
import { formatDurationNs, parseDuration } from '../metrics/duration.js';
import { MdlabError } from '../errors.js';
import { parseGroup } from '../feed/channels.js';
import { checkRecording } from '../feed/recording-kind.js';
import { checkTimeline } from './timeline-check.js';
import { DEFAULT_LIMITS, type ServerLimits } from '../recovery/request-server.js';
import { DEFAULT_CLIENT, DEFAULT_LINE_WAIT_NS, type GapPolicy } from '../recovery/mold-client.js';
import { DROP_CAUSES } from './accounting.js';
import { NIC_MODELS, type NicModel } from '../nic/models.js';
import { PATHS, type Path } from '../onload/fallback.js';
import { RECORDED_PATHS, type RecordedPath } from '../metrics/latency.js';
import { MAX_GROUPS, MAX_MEMBERSHIPS } from '../onload/stack-layout.js';
import { WORKS, type Work } from '../subscriber/feed-handler.js';
import { RECEIVE_ALIASES, RECEIVE_MODES, type ReceiveMode } from '../subscriber/receive-modes.js';
import { KERNEL_SOCKETS, type SubscriberSettings } from '../subscriber/settings.js';

export interface LabConfig {
  file: string;
  name: string;
  description: string;
  recording: string;
  /** Loss recovery (DESIGN §13): a re-request server in the lab, and every subscriber asking it for its gaps. */
  recovery: { limits: ServerLimits; timeoutNs: number; policy: GapPolicy } | null;
  /**
   * A/B lines (DESIGN §13): each pair is one channel sent on two groups. A subscriber that joins
   * both arbitrates: the first copy of each sequence wins, and a gap on one line waits `waitNs`
   * for the other before a re-request.
   */
  lines: { waitNs: number; pairs: LinePair[] };
  /** Model mode (DESIGN §12), with the profile named in the config (null: a live run unless --model). */
  model: { profile: string | undefined; cores: number | undefined } | null;
  /** Take the capture's UDP datagrams not to a multicast group as feed traffic to this group (anonymised captures). */
  decodeAs: { group: number; port: number } | null;
  /** Multiple of recorded pace; 0 = top speed. */
  speed: number;
  durationNs: number | null;
  loop: boolean;
  nic: NicModel;
  filterTable: number;
  subscribers: SubscriberSettings[];
  /** Every group any subscriber joins, in first-mention order (the NIC's group table). */
  groups: string[];
  /** Names of subscribers that wait for a timed `start` event. */
  deferred: string[];
  events: TimedEvent[];
  expect: Expectation[];
}

export interface LinePair {
  a: string;
  b: string;
}

/** Injected loss (DESIGN §13): the NIC drops packets of these groups, each counted `injected`. */
export interface DropSpec {
  /** The groups it drops from (every group of the lab when the config names none). */
  groups: string[];
  /** How it was written, for messages and the event line: a group, a line, or every group. */
  what: string;
  /** The next N packets of each group from the event's time, or each packet with this probability. */
  packets: number | null;
  rate: number | null;
  /** The rate's random stream (the same seed, the same packets dropped). */
  seed: number;
}

/** Something that happens at a time in the run (DESIGN §8: scripted experiments). */
export type TimedEvent =
  | { atNs: number; action: 'join' | 'leave'; subscriber: string; group: string }
  | { atNs: number; action: 'drop'; drop: DropSpec }
  | { atNs: number; action: 'kill' | 'start'; subscriber: string }
  | { atNs: number; action: 'speed'; speed: number };

/** One check on the run's outcome; see expectations.ts. */
export interface Expectation {
  /** Where in the config it was written, for messages: expect[2]. */
  where: string;
  /** Only for sweep points whose values match these (sweep key → value). */
  when: Record<string, unknown> | null;
  subscriber: string | null;
  group: string | null;
  path: Path | null;
  cause: string | null;
  /** Bounds on a percentile: below (p99: 50us) and/or above (p99: {above: 1ms}); Infinity / 0 when not set. */
  latency: { percentile: 'p50' | 'p90' | 'p99' | 'p999' | 'max'; belowNs: number; aboveNs: number; clock: 'scheduled' | 'sent'; via: RecordedPath | null }[];
  gaps: number | null;
  drops: { min: number; max: number; cause: string | null } | null;
  /** Loss recovery: messages recovered (a range) and still unrecovered (at most) over the scope. */
  recovered: { min: number; max: number } | null;
  unrecovered: number | null;
  /** At most this many re-requests sent, and messages lost on both lines (A/B), over the scope. */
  requests: number | null;
  lostOnBoth: number | null;
  /** Gaps the other line filled (a range), over the scope. */
  filledByLine: { min: number; max: number } | null;
  /** The recovery time's p99 (gap seen to book whole), the worst membership in the scope, below this. */
  recoveryP99Ns: number | null;
  event: { kind: string | null; cause: string | null; group: string | null } | null;
  balanced: boolean | null;
  /** The run's host-health verdict (the subscriber's, with subscriber:). */
  host: 'clean' | 'contended' | null;
  /** At most this many payload bytes copied on the host per packet. */
  copied: number | null;
  /** The subscriber's voluntary context switches per packet exceed each of these subscribers'. */
  switchesAbove: string[] | null;
}

export const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_-]{0,23}$/;
const TOP_KEYS = ['name', 'description', 'recording', 'decodeAs', 'model', 'recovery', 'lines', 'speed', 'duration', 'loop', 'nic', 'subscribers', 'events', 'expect', 'sweep'] as const;
const NIC_KEYS = ['model', 'filterTable'] as const;
const SUB_KEYS = ['name', 'onload', 'groups', 'env', 'receive', 'work', 'delay', 'ring', 'rcvbuf', 'cpu', 'start', 'replicas', 'kernelSocket'] as const;
const EVENT_ACTIONS = ['join', 'leave', 'kill', 'start', 'speed', 'drop'] as const;
const EXPECT_KEYS = ['when', 'subscriber', 'group', 'path', 'cause', 'p50', 'p90', 'p99', 'p999', 'max', 'clock', 'via', 'gaps', 'drops', 'event', 'balanced', 'copied', 'switchesAbove', 'host', 'recovered', 'unrecovered', 'requests', 'lostOnBoth', 'filledByLine', 'recovery'] as const;
const PATH_CAUSES = ['mcast-conflict', 'filter-table-full', 'non-onload-loss', 'not-accelerated', 'mcast-recv-off'];
const EVENT_KINDS = ['accelerated', 'offloaded', 'kernel', 'fallback', 'loss', 'recovery', 'left', 'exit', 'start', 'speed'];
const ENV_KEYS = ['EF_NAME', 'EF_POLL_USEC', 'EF_INT_DRIVEN', 'EF_DONT_ACCELERATE', 'EF_MCAST_RECV'] as const;
export const DEFAULT_RING = 4096;
/** A run, an event's time or a latency bound: a trading day is far less. */
const MAX_RUN_NS = 24 * 3600e9;
/** Extra work per packet (a slow reader): past a second it is a reader that never reads. */
const MAX_DELAY_NS = 1e9;

class ConfigError extends MdlabError {
  constructor(file: string, path: string, what: string) {
    super(path === '' ? `${file}: ${what}` : `${file}: ${path}: ${what}`);
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as the user wrote it, kept to one short line (a whole list or mapping is not echoed). */
function show(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Array.isArray(v) ? 'a list' : 'a mapping';
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A key as it goes in a message: plain words as they are; anything else quoted, and kept short. */
function keyName(k: string): string {
  if (/^[A-Za-z0-9_-]{1,40}$/.test(k)) return k;
  const q = JSON.stringify(k);
  return q.length > 42 ? `${q.slice(0, 39)}..."` : q;
}

function showShort(v: unknown): string {
  return Array.isArray(v) ? 'a list' : v === null || v === undefined ? 'nothing' : show(v);
}

export class Validator {
  constructor(readonly file: string) {}

  fail(path: string, what: string): never {
    throw new ConfigError(this.file, path, what);
  }

  object(path: string, v: unknown, keys: readonly string[]): Obj {
    if (!isObj(v)) this.fail(path, `expected a mapping with keys ${keys.join(', ')}, got ${showShort(v)}`);
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) this.fail(path ? `${path}.${keyName(k)}` : keyName(k), `unknown key; expected one of ${keys.join(', ')}`);
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

  duration(path: string, v: unknown, maxNs: number): number {
    if (typeof v !== 'string') this.fail(path, `expected a duration such as 500ms, 3s or 2m, got ${show(v)}`);
    let ns: number;
    try {
      ns = parseDuration(v, path, Infinity);
    } catch {
      this.fail(path, `expected a duration such as 500ms, 3s or 2m, got ${show(v)}`);
    }
    if (ns > maxNs) this.fail(path, `expected at most ${formatDurationNs(maxNs)}, got ${show(v)}`);
    return ns;
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

/** Larger than any config anyone writes by hand; a bigger file is not a config. */
const MAX_CONFIG_BYTES = 1 << 20;

/**
 * Reads a config file into plain data, or fails with one line naming the file and the line.
 * Plain YAML (or JSON) only: unresolved tags, other YAML versions, collection keys and aliases
 * that refer to themselves are errors here, not warnings printed later or structures that
 * cannot be serialised.
 */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new MdlabError(`${file}: is a directory, expected a config file (YAML or JSON)`);
    if (!st.isFile()) throw new MdlabError(`${file}: is not a regular file, expected a config file (YAML or JSON)`);
    if (st.size > MAX_CONFIG_BYTES) throw new MdlabError(`${file}: ${st.size} bytes is too large for a config (at most ${MAX_CONFIG_BYTES})`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof MdlabError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MdlabError(`${file}: no such config file`);
    if (code === 'EACCES') throw new MdlabError(`${file}: permission denied`);
    throw new MdlabError(`${file}: cannot read: ${(err as Error).message.split('\n')[0]}`);
  }
  if (text.trim() === '') throw new MdlabError(`${file}: the config is empty; expected a mapping with keys such as recording and subscribers`);
  return extname(file) === '.json' ? parseJsonConfig(text, file) : parseYamlConfig(text, file);
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

function parseJsonConfig(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8's message may quote the text itself; keep only what it says, and say where.
    const msg = (err as Error).message;
    const pos = /at position (\d+)/.exec(msg);
    const what = msg.replace(/,? ?".*" is not valid JSON/s, ' (not valid JSON)').replace(/ in JSON at position \d+.*$/s, '').split('\n')[0];
    throw new MdlabError(`${file}: ${pos ? `${lineCol(text, Number(pos[1]))}: ` : ''}${what}`);
  }
}

function parseYamlConfig(text: string, file: string): unknown {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return `line ${p.line}, column ${p.col}`;
  };
  if (!Array.isArray(docs)) throw new MdlabError(`${file}: ${at(0)}: not a YAML document`);
  if (docs.length !== 1) throw new MdlabError(`${file}: ${docs.length === 0 ? 'the config is empty' : `${at(docs[1].range[0])}: a second YAML document; a config is one document`}`);
  const doc = docs[0];
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new MdlabError(`${file}: ${at(problem.pos[0])}: ${problem.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
  let bad: string | null = null;
  visit(doc, {
    Pair(_key, pair) {
      if (bad === null && isCollection(pair.key)) bad = `${at(pair.key.range?.[0] ?? 0)}: a key must be a plain word, not a list or mapping`;
    },
    Scalar(_key, node) {
      if (bad === null && node.tag !== undefined && !node.tag.startsWith('tag:yaml.org,2002:')) bad = `${at(node.range?.[0] ?? 0)}: tag ${node.tag} is not plain YAML`;
    },
    Alias(_key, alias) {
      if (bad !== null) return;
      const target = alias.resolve(doc);
      const a = alias.range?.[0] ?? 0;
      if (target && target.range && target.range[0] <= a && a < target.range[2]) bad = `${at(a)}: alias *${alias.source} refers to the node that contains it (a circular structure)`;
    },
  });
  if (bad !== null) throw new MdlabError(`${file}: ${bad}`);
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new MdlabError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function loadConfig(file: string, opts: ValidateOptions = {}): LabConfig {
  return validateConfig(readConfigFile(file), file, opts);
}

/** Most copies of one subscriber `replicas:` makes (model mode goes this far; a live lab stops at its stacks). */
export const MAX_REPLICAS = 10000;

export interface ValidateOptions {
  /** A model run (--model): the live lab's limits on processes, stacks, groups and sockets do not apply. */
  model?: boolean;
}

export function validateConfig(raw: unknown, file: string, opts: ValidateOptions = {}): LabConfig {
  const v: Validator = new Validator(file); // annotated, so that its never-returning fail() narrows types
  const top = v.object('', raw, TOP_KEYS);
  const name = top.name === undefined ? basename(file).replace(/\.(ya?ml|json)$/, '') : v.identifier('name', top.name);
  const description = top.description === undefined ? '' : v.string('description', top.description);
  const recordingRel = v.string('recording', top.recording);
  const recording = isAbsolute(recordingRel) ? recordingRel : resolve(dirname(file), recordingRel);
  if (!existsSync(recording)) v.fail('recording', `no such file: ${recording}`);
  try {
    checkRecording(recording);
  } catch (err) {
    v.fail('recording', (err as Error).message);
  }

  let decodeAs: LabConfig['decodeAs'] = null;
  if (top.decodeAs !== undefined) {
    try {
      decodeAs = parseGroup(v.string('decodeAs', top.decodeAs), 'decodeAs');
    } catch (err) {
      v.fail('decodeAs', (err as Error).message.replace(/^decodeAs /, ''));
    }
  }

  let recovery: LabConfig['recovery'] = null;
  if (top.recovery !== undefined && top.recovery !== false) {
    const r = top.recovery === true ? {} : v.object('recovery', top.recovery, ['maxMessages', 'rate', 'delay', 'timeout', 'policy'] as const);
    recovery = {
      limits: {
        ...DEFAULT_LIMITS,
        maxMessages: r.maxMessages === undefined ? DEFAULT_LIMITS.maxMessages : v.integer('recovery.maxMessages', r.maxMessages, 1, 65534, ' of messages'),
        requestsPerSecond: r.rate === undefined ? DEFAULT_LIMITS.requestsPerSecond : v.integer('recovery.rate', r.rate, 1, 1e6, ' of requests per second'),
        delayNs: r.delay === undefined ? 0 : v.duration('recovery.delay', r.delay, 10e9),
      },
      timeoutNs: r.timeout === undefined ? DEFAULT_CLIENT.timeoutNs : v.duration('recovery.timeout', r.timeout, 10e9),
      policy: r.policy === undefined ? 'buffer' : v.oneOf('recovery.policy', r.policy, ['buffer', 'drop'] as const),
    };
  }

  const lines = top.lines === undefined ? { waitNs: DEFAULT_LINE_WAIT_NS, pairs: [] } : validateLines(v, top.lines);

  let modelSetting: LabConfig['model'] = null;
  if (top.model !== undefined && top.model !== false) {
    if (top.model === true) modelSetting = { profile: undefined, cores: undefined };
    else if (typeof top.model === 'string' && top.model.trim() !== '') modelSetting = { profile: top.model, cores: undefined };
    else if (typeof top.model === 'object' && top.model !== null && !Array.isArray(top.model)) {
      const m = v.object('model', top.model, ['profile', 'cores'] as const);
      modelSetting = {
        profile: m.profile === undefined ? undefined : v.string('model.profile', m.profile),
        // The modelled host's CPUs, in place of the profile's: a core per handler, say, to see the kernel's own cost alone.
        cores: m.cores === undefined ? undefined : v.integer('model.cores', m.cores, 1, 4096, ' of CPUs'),
      };
    } else v.fail('model', `expected true, a profile name (such as host-2vcpu or ef10-onload), or {profile: NAME, cores: N}, got ${show(top.model)}`);
  }

  let speed = 1;
  if (top.speed !== undefined) {
    if (top.speed === 'top') speed = 0;
    else if (typeof top.speed === 'number' && top.speed > 0 && top.speed <= 10000) speed = top.speed;
    else v.fail('speed', `expected a multiple of the recorded pace (a number above 0, at most 10000) or "top", got ${show(top.speed)}`);
  }
  const durationNs = top.duration === undefined ? null : v.duration('duration', top.duration, MAX_RUN_NS);
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
  const groupSet = new Set<string>();
  const names = new Set<string>();
  const deferred: string[] = [];
  const subscribers = top.subscribers.flatMap((s, i) => {
    const p = `subscribers[${i}]`;
    const o = v.object(p, s, SUB_KEYS);
    const base = v.identifier(`${p}.name`, o.name);
    const replicas = o.replicas === undefined ? 1 : v.integer(`${p}.replicas`, o.replicas, 1, MAX_REPLICAS, ' of copies');
    if (replicas > 1 && base.length > 18) v.fail(`${p}.name`, `with replicas, at most 18 characters (each copy is named ${base}-N), got ${base.length}`);
    return Array.from({ length: replicas }, (_, r) => one(p, o, replicas === 1 ? base : `${base}-${r + 1}`));
  });
  function one(p: string, o: Record<string, unknown>, sname: string): SubscriberSettings {
    if (names.has(sname)) v.fail(`${p}.name`, `${sname} is already the name of another subscriber`);
    names.add(sname);
    const env = v.object(`${p}.env`, o.env ?? {}, ENV_KEYS);
    if (!Array.isArray(o.groups) || o.groups.length === 0) v.fail(`${p}.groups`, `expected a list of groups such as [239.100.1.1:26400], got ${show(o.groups)}`);
    const sgroups = o.groups.map((g, j) => v.group(`${p}.groups[${j}]`, g));
    for (const g of sgroups) {
      if (!groupSet.has(g)) {
        groupSet.add(g);
        groups.push(g);
      }
    }
    const ring = o.ring === undefined ? DEFAULT_RING : v.integer(`${p}.ring`, o.ring, 4, 1 << 20, ' of slots');
    if ((ring & (ring - 1)) !== 0) v.fail(`${p}.ring`, `expected a power of two, got ${ring}`);
    const receive = receiveMode(v, p, o, env, nic);
    const settings: SubscriberSettings = {
      name: sname,
      onload: receive !== 'kernel',
      efName: env.EF_NAME === undefined || env.EF_NAME === '' ? null : v.identifier(`${p}.env.EF_NAME`, env.EF_NAME),
      pollUsec: env.EF_POLL_USEC === undefined ? 0 : v.integer(`${p}.env.EF_POLL_USEC`, env.EF_POLL_USEC, 0, 1e9, ' of microseconds'),
      intDriven: env.EF_INT_DRIVEN === undefined ? false : v.flag(`${p}.env.EF_INT_DRIVEN`, env.EF_INT_DRIVEN),
      dontAccelerate: env.EF_DONT_ACCELERATE === undefined ? false : v.flag(`${p}.env.EF_DONT_ACCELERATE`, env.EF_DONT_ACCELERATE),
      mcastRecv: env.EF_MCAST_RECV === undefined ? true : v.flag(`${p}.env.EF_MCAST_RECV`, env.EF_MCAST_RECV),
      groups: sgroups,
      receive,
      work: o.work === undefined ? 'decode' : v.oneOf<Work>(`${p}.work`, o.work, WORKS),
      delayNs: o.delay === undefined ? 0 : v.duration(`${p}.delay`, o.delay, MAX_DELAY_NS),
      ring,
      rcvbuf: o.rcvbuf === undefined ? undefined : v.integer(`${p}.rcvbuf`, o.rcvbuf, 1024, 1 << 30, ' of bytes'),
      cpu: o.cpu === undefined ? null : v.integer(`${p}.cpu`, o.cpu, 0, 1023),
      kernelSocket: o.kernelSocket === undefined ? 'native' : v.oneOf(`${p}.kernelSocket`, o.kernelSocket, KERNEL_SOCKETS),
    };
    if (!settings.onload && Object.keys(env).length > 0) v.fail(`${p}.env`, 'a subscriber with onload: false (receive: kernel) takes no EF_* settings');
    if (o.start !== undefined && !v.boolean(`${p}.start`, o.start)) deferred.push(sname);
    return settings;
  }
  const model = opts.model === true || modelSetting !== null;
  const memberships = subscribers.reduce((n, s) => n + s.groups.length, 0);
  if (!model && memberships > MAX_MEMBERSHIPS / 2) v.fail('subscribers', `at most ${MAX_MEMBERSHIPS / 2} group memberships in one lab, got ${memberships}`);
  const events = top.events === undefined ? [] : validateEvents(v, top.events, subscribers, lines.pairs);
  for (const d of deferred) {
    if (!events.some((e) => e.action === 'start' && e.subscriber === d)) v.fail('events', `${d} has start: false, but no event starts it`);
  }
  // A group only a timed join names is in the NIC's table too.
  for (const e of events) if ((e.action === 'join' || e.action === 'leave') && !groups.includes(e.group)) groups.push(e.group);
  // Injected loss names groups of the lab; with none named, it drops from every group.
  events.forEach((e, i) => {
    if (e.action !== 'drop') return;
    if (e.drop.groups.length === 0) e.drop.groups = [...groups];
    for (const g of e.drop.groups) if (!groups.includes(g)) v.fail(`events[${i}].drop`, `${g} (${e.drop.what}) is not a group any subscriber joins; the lab's groups are ${groups.join(', ')}`);
  });
  if (!model && groups.length > MAX_GROUPS) v.fail('subscribers', `at most ${MAX_GROUPS} groups in one lab, got ${groups.length}`);
  if (durationNs !== null) {
    events.forEach((e, i) => {
      if (e.atNs >= durationNs) v.fail(`events[${i}].at`, `${formatDurationNs(e.atNs)} is not before the run ends (duration ${formatDurationNs(durationNs)}): it would never happen`);
    });
  }
  if (!model) checkTimeline((path, what) => v.fail(path, what), subscribers, deferred, events);
  const expect = top.expect === undefined ? [] : validateExpect(v, top.expect, subscribers, groups, recovery !== null, lines.pairs.length > 0);
  return { file, name, description, recording, decodeAs, recovery, lines, model: modelSetting, speed, durationNs, loop, nic, filterTable, subscribers, groups, deferred, events, expect };
}

/**
 * The receive mode (DESIGN §10), and whether the process runs under Onload: `receive: kernel` is
 * a process not using Onload (as `onload: false` says); every other mode is Onload's or the NIC's.
 */
function receiveMode(v: Validator, p: string, o: Obj, env: Obj, nic: NicModel): ReceiveMode {
  const raw = typeof o.receive === 'string' ? RECEIVE_ALIASES[o.receive] ?? o.receive : o.receive;
  const onload = o.onload === undefined ? null : v.boolean(`${p}.onload`, o.onload);
  const mode = raw === undefined ? (onload === false ? 'kernel' : 'onload') : v.oneOf<ReceiveMode>(`${p}.receive`, raw, RECEIVE_MODES);
  if (onload === false && mode !== 'kernel') v.fail(`${p}.receive`, `a process not using Onload (onload: false) receives through kernel sockets: receive: kernel, not ${mode}`);
  if (onload === true && mode === 'kernel') v.fail(`${p}.onload`, 'receive: kernel is a process not using Onload: leave out onload: true');
  if (mode === 'offload' && !nic.offload) v.fail(`${p}.receive`, `receive: offload needs a socket-offload NIC (nic.model: inic); ${nic.name} has none`);
  if (mode === 'ef_vi' && env.EF_NAME !== undefined) v.fail(`${p}.env.EF_NAME`, 'an ef_vi application has a virtual interface of its own: EF_NAME (Onload stack sharing) does not apply');
  return mode;
}

/** `lines: [{a: G, b: G}, …]`, or `{wait: 10ms, pairs: [...]}`: each group in one pair at most. */
function validateLines(v: Validator, raw: unknown): LabConfig['lines'] {
  const hint = 'expected a list of A/B pairs such as - {a: 239.100.1.1:26400, b: 239.100.2.1:26400}, or {wait: 10ms, pairs: [...]}';
  let waitNs = DEFAULT_LINE_WAIT_NS;
  let list: unknown = raw;
  let at = 'lines';
  if (isObj(raw)) {
    const o = v.object('lines', raw, ['wait', 'pairs'] as const);
    if (o.wait !== undefined) waitNs = v.duration('lines.wait', o.wait, 10e9);
    list = o.pairs;
    at = 'lines.pairs';
  }
  if (!Array.isArray(list) || list.length === 0) v.fail(at, `${hint}, got ${show(list)}`);
  const seen = new Map<string, string>();
  const pairs = list.map((x, i) => {
    const p = `${at}[${i}]`;
    const o = v.object(p, x, ['a', 'b'] as const);
    const a = v.group(`${p}.a`, o.a);
    const b = v.group(`${p}.b`, o.b);
    if (a === b) v.fail(`${p}.b`, `line B must be another group than line A (${a})`);
    for (const [g, k] of [[a, 'a'], [b, 'b']] as const) {
      if (seen.has(g)) v.fail(`${p}.${k}`, `${g} is already a line of ${seen.get(g)}; a group is one line of one channel`);
      seen.set(g, p);
    }
    return { a, b };
  });
  return { waitNs, pairs };
}

/** `drop: {group, line, packets}` or `{rate}`: the groups it drops from, resolved against the line pairs. */
function validateDrop(v: Validator, p: string, raw: unknown, pairs: LinePair[]): DropSpec {
  const o = v.object(p, raw, ['group', 'line', 'packets', 'rate', 'seed'] as const);
  const line = o.line === undefined ? null : v.oneOf(`${p}.line`, o.line, ['A', 'B'] as const);
  if ((o.packets === undefined) === (o.rate === undefined)) v.fail(p, 'expected one of packets (the next N packets) or rate (each packet with this probability, such as 0.001)');
  const packets = o.packets === undefined ? null : v.integer(`${p}.packets`, o.packets, 1, 1e9, ' of packets');
  let rate: number | null = null;
  if (o.rate !== undefined) {
    if (typeof o.rate !== 'number' || !(o.rate > 0) || o.rate > 1) v.fail(`${p}.rate`, `expected a probability above 0, at most 1 (such as 0.001), got ${show(o.rate)}`);
    rate = o.rate;
  }
  const seed = o.seed === undefined ? 1 : v.integer(`${p}.seed`, o.seed, 0, 0xffffffff);
  if (line !== null && pairs.length === 0) v.fail(`${p}.line`, 'line A and B need A/B lines: add lines: [{a: GROUP, b: GROUP}] to the config');
  const pick = (pair: LinePair) => (line === 'B' ? pair.b : pair.a);
  let groups: string[];
  let what: string;
  if (o.group !== undefined) {
    const g = v.group(`${p}.group`, o.group);
    if (line === null) groups = [g];
    else {
      const pair = pairs.find((x) => x.a === g || x.b === g);
      if (!pair) v.fail(`${p}.group`, `${g} is in no A/B pair of lines:, so it has no line ${line}`);
      groups = [pick(pair)];
    }
    what = line === null ? g : `line ${line} of ${g === groups[0] ? g : `${groups[0]}`}`;
  } else if (line !== null) {
    groups = pairs.map(pick);
    what = `line ${line}`;
  } else {
    groups = [];
    what = 'every group';
  }
  return { groups, what, packets, rate, seed };
}

function validateEvents(v: Validator, raw: unknown, subscribers: SubscriberSettings[], pairs: LinePair[]): TimedEvent[] {
  if (!Array.isArray(raw)) v.fail('events', `expected a list of timed events such as - {at: 2s, join: {subscriber: book2, group: 239.100.1.1:26400}}, got ${show(raw)}`);
  const names = subscribers.map((s) => s.name);
  const known = (path: string, name: unknown): string => {
    const n = v.identifier(path, name);
    if (!names.includes(n)) v.fail(path, `no subscriber named ${n}; the config has ${names.join(', ')}`);
    return n;
  };
  return raw.map((e, i) => {
    const p = `events[${i}]`;
    const o = v.object(p, e, ['at', ...EVENT_ACTIONS]);
    // Injected loss at a rate runs from the start unless it says when.
    const atNs = o.at === undefined && o.drop !== undefined ? 0 : v.duration(`${p}.at`, o.at, MAX_RUN_NS);
    const actions = EVENT_ACTIONS.filter((a) => o[a] !== undefined);
    if (actions.length !== 1) v.fail(p, `expected exactly one of ${EVENT_ACTIONS.join(', ')}, got ${actions.length === 0 ? 'none' : actions.join(' and ')}`);
    const action = actions[0];
    if (action === 'drop') return { atNs, action, drop: validateDrop(v, `${p}.drop`, o.drop, pairs) };
    if (action === 'kill' || action === 'start') return { atNs, action, subscriber: known(`${p}.${action}`, o[action]) };
    if (action === 'speed') {
      const x = o.speed;
      if (x !== 'top' && !(typeof x === 'number' && x > 0 && x <= 10000)) v.fail(`${p}.speed`, `expected a multiple of the recorded pace or "top", got ${show(x)}`);
      return { atNs, action, speed: x === 'top' ? 0 : (x as number) };
    }
    const j = v.object(`${p}.${action}`, o[action], ['subscriber', 'group']);
    const subscriber = known(`${p}.${action}.subscriber`, j.subscriber);
    const group = v.group(`${p}.${action}.group`, j.group);
    return { atNs, action, subscriber, group };
  });
}

/** A count's bounds: N (at least N) or {min, max}. */
function countRange(v: Validator, path: string, raw: unknown): { min: number; max: number } {
  if (typeof raw === 'number') return { min: v.integer(path, raw, 0, 1e12), max: Infinity };
  const r = v.object(path, raw, ['min', 'max']);
  const out = { min: r.min === undefined ? 0 : v.integer(`${path}.min`, r.min, 0, 1e12), max: r.max === undefined ? Infinity : v.integer(`${path}.max`, r.max, 0, 1e12) };
  if (out.min > out.max) v.fail(path, `min ${out.min} is above max ${out.max}: no run could meet it`);
  return out;
}

function validateExpect(v: Validator, raw: unknown, subscribers: SubscriberSettings[], groups: string[], recoveryOn: boolean, linesOn: boolean): Expectation[] {
  if (!Array.isArray(raw)) v.fail('expect', `expected a list of expectations such as - {subscriber: book1, group: 239.100.1.1:26400, path: bypass}, got ${show(raw)}`);
  const names = subscribers.map((s) => s.name);
  return raw.map((e, i) => {
    const p = `expect[${i}]`;
    const o = v.object(p, e, EXPECT_KEYS);
    const x: Expectation = { where: p, when: null, subscriber: null, group: null, path: null, cause: null, latency: [], gaps: null, drops: null, recovered: null, unrecovered: null, requests: null, lostOnBoth: null, filledByLine: null, recoveryP99Ns: null, event: null, balanced: null, host: null, copied: null, switchesAbove: null };
    if (o.when !== undefined) {
      if (typeof o.when !== 'object' || o.when === null || Array.isArray(o.when)) v.fail(`${p}.when`, 'expected a mapping of sweep keys to values');
      x.when = o.when as Record<string, unknown>;
    }
    if (o.subscriber !== undefined) {
      x.subscriber = v.identifier(`${p}.subscriber`, o.subscriber);
      if (!names.includes(x.subscriber)) v.fail(`${p}.subscriber`, `no subscriber named ${x.subscriber}; the config has ${names.join(', ')}`);
    }
    if (o.group !== undefined) {
      x.group = v.group(`${p}.group`, o.group);
      if (!groups.includes(x.group)) v.fail(`${p}.group`, `${x.group} is not a group any subscriber joins`);
    }
    if (o.path !== undefined) x.path = v.oneOf(`${p}.path`, o.path, PATHS);
    if (o.cause !== undefined) x.cause = v.oneOf(`${p}.cause`, o.cause, PATH_CAUSES);
    const clock = o.clock === undefined ? 'scheduled' : v.oneOf(`${p}.clock`, o.clock, ['scheduled', 'sent'] as const);
    const via = o.via === undefined ? null : v.oneOf(`${p}.via`, o.via, RECORDED_PATHS);
    for (const pc of ['p50', 'p90', 'p99', 'p999', 'max'] as const) {
      const bound = o[pc];
      if (bound === undefined) continue;
      if (typeof bound === 'object' && bound !== null && !Array.isArray(bound)) {
        const b = v.object(`${p}.${pc}`, bound, ['below', 'above'] as const);
        if (b.below === undefined && b.above === undefined) v.fail(`${p}.${pc}`, 'expected below, above or both, such as {above: 1ms}');
        const belowNs = b.below === undefined ? Infinity : v.duration(`${p}.${pc}.below`, b.below, MAX_RUN_NS);
        const aboveNs = b.above === undefined ? 0 : v.duration(`${p}.${pc}.above`, b.above, MAX_RUN_NS);
        if (aboveNs >= belowNs) v.fail(`${p}.${pc}`, `above (${formatDurationNs(aboveNs)}) must be less than below (${formatDurationNs(belowNs)})`);
        x.latency.push({ percentile: pc, belowNs, aboveNs, clock, via });
      } else x.latency.push({ percentile: pc, belowNs: v.duration(`${p}.${pc}`, bound, MAX_RUN_NS), aboveNs: 0, clock, via });
    }
    if (o.gaps !== undefined) x.gaps = v.integer(`${p}.gaps`, o.gaps, 0, 1e12);
    if (o.drops !== undefined) {
      if (typeof o.drops === 'number') x.drops = { min: 0, max: v.integer(`${p}.drops`, o.drops, 0, 1e12), cause: null };
      else {
        const d = v.object(`${p}.drops`, o.drops, ['min', 'max', 'cause']);
        x.drops = {
          min: d.min === undefined ? 0 : v.integer(`${p}.drops.min`, d.min, 0, 1e12),
          max: d.max === undefined ? Infinity : v.integer(`${p}.drops.max`, d.max, 0, 1e12),
          cause: d.cause === undefined ? null : v.oneOf(`${p}.drops.cause`, d.cause, DROP_CAUSES),
        };
        if (x.drops.min > x.drops.max) v.fail(`${p}.drops`, `min ${x.drops.min} is above max ${x.drops.max}: no run could meet it`);
      }
    }
    if (o.recovered !== undefined) x.recovered = countRange(v, `${p}.recovered`, o.recovered);
    if (o.unrecovered !== undefined) x.unrecovered = v.integer(`${p}.unrecovered`, o.unrecovered, 0, 1e12);
    if (o.requests !== undefined) x.requests = v.integer(`${p}.requests`, o.requests, 0, 1e12, ' (the most re-requests)');
    if (o.lostOnBoth !== undefined) x.lostOnBoth = v.integer(`${p}.lostOnBoth`, o.lostOnBoth, 0, 1e12, ' (the most messages lost on both lines)');
    if (o.filledByLine !== undefined) x.filledByLine = countRange(v, `${p}.filledByLine`, o.filledByLine);
    if (o.recovery !== undefined) {
      const r = v.object(`${p}.recovery`, o.recovery, ['p99']);
      if (r.p99 === undefined) v.fail(`${p}.recovery`, 'expected p99, such as {p99: 50ms} (gap seen to book whole)');
      x.recoveryP99Ns = v.duration(`${p}.recovery.p99`, r.p99, MAX_RUN_NS);
    }
    if ((x.recovered || x.unrecovered !== null || x.requests !== null || x.recoveryP99Ns !== null) && !recoveryOn && !linesOn) v.fail(`${p}`, 'recovered, unrecovered, requests and recovery need loss recovery or A/B lines: add recovery: true (or lines:) to the config');
    if ((x.lostOnBoth !== null || x.filledByLine !== null) && !linesOn) v.fail(`${p}`, 'lostOnBoth and filledByLine need A/B lines: add lines: [{a: GROUP, b: GROUP}] to the config');
    if (o.event !== undefined) {
      const ev = v.object(`${p}.event`, o.event, ['kind', 'cause', 'group']);
      x.event = {
        kind: ev.kind === undefined ? null : v.oneOf(`${p}.event.kind`, ev.kind, EVENT_KINDS),
        cause: ev.cause === undefined ? null : v.oneOf(`${p}.event.cause`, ev.cause, PATH_CAUSES),
        group: ev.group === undefined ? null : v.group(`${p}.event.group`, ev.group),
      };
    }
    if (o.balanced !== undefined) x.balanced = v.boolean(`${p}.balanced`, o.balanced);
    if (o.host !== undefined) x.host = v.oneOf(`${p}.host`, o.host, ['clean', 'contended'] as const);
    if (o.copied !== undefined) x.copied = v.integer(`${p}.copied`, o.copied, 0, 1e9, ' of bytes per packet');
    if (o.switchesAbove !== undefined) {
      if (!x.subscriber) v.fail(`${p}.switchesAbove`, 'compares one subscriber with others: give subscriber too');
      if (!Array.isArray(o.switchesAbove) || o.switchesAbove.length === 0) v.fail(`${p}.switchesAbove`, `expected a list of subscribers such as [onload, ef_vi], got ${show(o.switchesAbove)}`);
      x.switchesAbove = o.switchesAbove.map((n, j) => {
        const name = v.identifier(`${p}.switchesAbove[${j}]`, n);
        if (!names.includes(name)) v.fail(`${p}.switchesAbove[${j}]`, `no subscriber named ${name}; the config has ${names.join(', ')}`);
        return name;
      });
    }
    const checks = [x.path, x.cause, x.gaps, x.drops, x.recovered, x.unrecovered, x.requests, x.lostOnBoth, x.filledByLine, x.recoveryP99Ns, x.event, x.balanced, x.host, x.copied, x.switchesAbove].filter((c) => c !== null).length + x.latency.length;
    if (checks === 0) v.fail(p, 'expected at least one check: path, cause, p50/p90/p99/p999/max, gaps, drops, recovered, unrecovered, requests, lostOnBoth, filledByLine, recovery, event, balanced, host, copied or switchesAbove');
    return x;
  });
}
