/**
 * A model run: the config and its recording, the pure fallback core for paths and causes, the
 * simulation core for costs, and the same LabSnapshot and latency series a live run produces,
 * so the report, JSON, result files, compare and expectations serve both. I/O only at the edge
 * (reading the recording); everything after is pure and deterministic.
 */
import * as hdr from 'hdr-histogram-js';
import type { LabConfig } from '../experiment/config.js';
import { explainDrops } from '../experiment/drop-explain.js';
import { totalsOf, memberState } from '../experiment/lab-views.js';
import type { LatencySeries } from '../experiment/results.js';
import type { LabSnapshot, MembershipSnapshot, StackView, SubscriberSnapshotView } from '../experiment/snapshot.js';
import { plannedMembers } from '../experiment/plan.js';
import { formatGroup } from '../feed/channels.js';
import { openFeed } from '../feed/open-feed.js';
import { EMPTY_SUMMARY, summarizeCounts, type LatencySummary } from '../metrics/histogram-store.js';
import { COUNTS_LENGTH, HIGHEST_OF_INDEX } from '../metrics/shm-histogram.js';
import { countsToHistogram } from '../metrics/histogram-store.js';
import type { RecordedPath } from '../metrics/latency.js';
import { describeNic } from '../nic/models.js';
import type { Member } from '../onload/fallback.js';
import { EMPTY_STEERING } from '../onload/fallback.js';
import { pathEvents } from '../onload/path-events.js';
import { spins, waitingName, type SubscriberSettings } from '../subscriber/settings.js';
import type { Profile } from './profile.js';
import { DROP_LOST, DROP_OFLOW, DROP_RING, expandCompact, simulate, type ModelFeed, type ModelInput, type ModelOutput, type SocketPath } from './simulate.js';

/** Above this many latency counts in all, latency is kept per subscriber and path, not per group. */
const PER_SOCKET_BUDGET = 64 * COUNTS_LENGTH * 4;

export interface ModelRunOptions {
  profile: Profile;
  durationNs?: number;
  speed?: number;
}

export interface ModelRun {
  snapshot: LabSnapshot;
  /** The latency series for result files, built only when asked (encoding them costs at scale). */
  series: () => LatencySeries[];
  /** The recording's first wire time (ms since the epoch): a model run's fixed "start". */
  startedAtMs: number;
  wallMs: number;
  /** The simulation alone (the recording read and the snapshot built aside). */
  simMs: number;
  deliveries: number;
}

/** Reads the recording once into the typed arrays the simulation plays (the only I/O). */
export async function loadModelFeed(config: LabConfig): Promise<{ feed: ModelFeed; firstEpochMs: number }> {
  const index = new Map(config.groups.map((g, i) => [g, i]));
  const r = await openFeed(config.recording, config.decodeAs ? { decodeAs: config.decodeAs } : {});
  let cap = 65536;
  let wire = new Float64Array(cap);
  let group = new Int32Array(cap);
  let bytes = new Int32Array(cap);
  let messages = new Int32Array(cap);
  let n = 0;
  let firstSec = -1;
  let firstNsec = 0;
  let lastKey = -1;
  let lastIndex = -1;
  try {
    while (await r.next()) {
      const p = r.packet;
      if (n === cap) {
        cap *= 2;
        const w = new Float64Array(cap); w.set(wire); wire = w;
        const g = new Int32Array(cap); g.set(group); group = g;
        const b = new Int32Array(cap); b.set(bytes); bytes = b;
        const m = new Int32Array(cap); m.set(messages); messages = m;
      }
      if (firstSec < 0) {
        firstSec = p.tsSec;
        firstNsec = p.tsNsec;
      }
      wire[n] = Math.max(0, (p.tsSec - firstSec) * 1e9 + (p.tsNsec - firstNsec));
      const key = p.dstAddr * 65536 + p.dstPort;
      if (key !== lastKey) {
        lastKey = key;
        lastIndex = index.get(formatGroup(p.dstAddr, p.dstPort)) ?? -1;
      }
      group[n] = lastIndex;
      bytes[n] = p.length;
      const count = p.length >= 20 ? p.view.getUint16(p.offset + 18) : 0;
      messages[n] = count === 0xffff ? 0 : count;
      n++;
    }
  } finally {
    r.close();
  }
  return {
    feed: { count: n, wireNs: wire.subarray(0, n), group: group.subarray(0, n), bytes: bytes.subarray(0, n), messages: messages.subarray(0, n), lengthNs: n > 0 ? wire[n - 1] : 0 },
    firstEpochMs: firstSec < 0 ? 0 : firstSec * 1000 + Math.floor(firstNsec / 1e6),
  };
}

/** Cores: pinned subscribers keep theirs to themselves; the NIC and the rest take the others in turn. */
export function assignCores(subscribers: readonly SubscriberSettings[], cores: number, warnings: string[]): { nic: number; subs: number[] } {
  const reserved = new Set<number>();
  for (const s of subscribers) {
    if (s.cpu === null) continue;
    if (s.cpu >= cores) warnings.push(`${s.name} asks for CPU ${s.cpu}, but the profile's host has ${cores}: not pinned`);
    else reserved.add(s.cpu);
  }
  const rest = [...Array(cores).keys()].filter((c) => !reserved.has(c));
  const pool = rest.length > 0 ? rest : [...Array(cores).keys()];
  let next = 0;
  const take = () => pool[next++ % pool.length];
  const nic = take();
  const subs = subscribers.map((s) => (s.cpu !== null && s.cpu < cores ? s.cpu : take()));
  return { nic, subs };
}

/** The model's plain-data input and the path decisions it rests on, from a validated config. */
export function buildModelInput(config: LabConfig, feed: ModelFeed, profile: Profile, o: { durationNs?: number; speed?: number }, warnings: string[]) {
  const active = config.subscribers.filter((s) => !config.deferred.includes(s.name));
  if (config.events.length > 0) warnings.push(`model mode runs the config's starting memberships; its ${config.events.length} timed event${config.events.length === 1 ? '' : 's'} (join, leave, kill, start, speed, drop) are not modelled`);
  if (config.recovery || config.lines.pairs.length > 0) warnings.push(`model mode does not model ${[config.recovery ? 'loss recovery (re-requests)' : '', config.lines.pairs.length > 0 ? 'A/B line arbitration' : ''].filter(Boolean).join(' or ')}: run it live for those figures`);
  // Stacks as the live lab makes them, and the paths the fallback core decides (plan.ts: the dashboard's first frame draws the same).
  const { members, steering, stackOf, stackNames } = plannedMembers(config);
  const groupIndex = new Map(config.groups.map((g, i) => [g, i]));
  const cores = assignCores(active, profile.cores, warnings);
  const subIndex = new Map(active.map((s, i) => [s.name, i]));
  const sockets = members.map((m) => {
    const d = steering.decisions.get(m.id)!;
    return { subscriber: subIndex.get(m.subscriber)!, group: groupIndex.get(m.group)!, path: d.path as SocketPath };
  });
  const socketStack = Int32Array.from(members, (m) => {
    const gs = steering.groups.get(m.group);
    return m.stack === null || !gs ? 0 : Math.max(0, gs.stacks.indexOf(m.stack));
  });
  const offloaded = new Set(members.filter((m) => steering.decisions.get(m.id)?.path === 'offload').map((m) => m.group));
  const groups = config.groups.map((g) => {
    const gs = steering.groups.get(g);
    const offloads = offloaded.has(g) ? 1 : 0;
    return { stacks: (gs?.stacks.length ?? 0) + offloads, kernel: gs?.kernel ?? false };
  });
  const budget = sockets.length * 2 * COUNTS_LENGTH * 4;
  const input: ModelInput = {
    feed, speed: o.speed ?? config.speed, durationNs: o.durationNs ?? config.durationNs, loop: config.loop,
    groups, socketStack, sockets,
    subscribers: active.map((s, i) => ({
      spins: spins(s), core: cores.subs[i], receive: s.receive, work: s.work, delayNs: s.delayNs, ring: s.ring, rcvbuf: s.rcvbuf ?? profile.costs.defaultRcvbufBytes,
    })),
    nicCore: cores.nic, cores: profile.cores, costs: profile.costs, perSocketLatency: budget <= PER_SOCKET_BUDGET,
  };
  if (!input.perSocketLatency) warnings.push(`${sockets.length.toLocaleString('en-US')} sockets: latency is kept per subscriber and path (every group of a subscriber shows its subscriber's figures), not per group`);
  return { input, members, steering, active, stackOf, stackNames };
}

/** A series' counts in full HDR indexes (compact ones expanded into a reused array). */
const scratch = new Uint32Array(COUNTS_LENGTH);
function fullCounts(out: ModelOutput, key: string): Uint32Array | undefined {
  const a = out.counts.get(key);
  return a && out.compact ? expandCompact(a, scratch) : a;
}

/** Summaries by series key, for one snapshot: at scale every group of a subscriber shares its subscriber's series. */
function latencyOf(out: ModelOutput, key: string, cache: Map<string, LatencySummary>): { scheduled: LatencySummary; sent: LatencySummary } {
  const get = (clock: number) => {
    const k = `${key}|${clock}`;
    let sum = cache.get(k);
    if (!sum) {
      const a = fullCounts(out, k);
      sum = a ? summarizeCounts(a) : EMPTY_SUMMARY;
      cache.set(k, sum);
    }
    return sum;
  };
  return { scheduled: get(0), sent: get(1) };
}

export async function runModel(config: LabConfig, o: ModelRunOptions): Promise<ModelRun> {
  const t0 = process.hrtime.bigint();
  const { feed, firstEpochMs } = await loadModelFeed(config);
  const warnings: string[] = [];
  const built = buildModelInput(config, feed, o.profile, o, warnings);
  const s0 = process.hrtime.bigint();
  const out = simulate(built.input);
  const simMs = Number(process.hrtime.bigint() - s0) / 1e6;
  const snapshot = modelSnapshot(config, o.profile, built, out, warnings);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { snapshot, series: () => modelSeries(built, out, firstEpochMs), startedAtMs: firstEpochMs, wallMs, simMs, deliveries: out.deliveries };
}

export type Built = ReturnType<typeof buildModelInput>;

/** The snapshot a live run would publish at its end, from the model's counts. */
export function modelSnapshot(config: LabConfig, profile: Profile, b: Built, out: ModelOutput, warnings: string[]): LabSnapshot {
  const { input, members, steering, active } = b;
  const paths: RecordedPath[] = ['bypass', 'kernel', 'offload'];
  const summaries = new Map<string, LatencySummary>();
  const bySubscriber = new Map<string, { m: Member; i: number }[]>();
  members.forEach((m, i) => {
    const list = bySubscriber.get(m.subscriber);
    if (list) list.push({ m, i });
    else bySubscriber.set(m.subscriber, [{ m, i }]);
  });
  const subscribers: SubscriberSnapshotView[] = active.map((s, si) => {
    const memberships: MembershipSnapshot[] = (bySubscriber.get(s.name) ?? []).map(({ m, i }) => {
      const d = steering.decisions.get(m.id)!;
      const delivered = out.delivered[i];
      const path = input.sockets[i].path;
      const dropped: Record<string, number> = {};
      if (out.drops[i * 3 + DROP_RING] > 0) dropped['ring-overrun'] = out.drops[i * 3 + DROP_RING];
      if (out.drops[i * 3 + DROP_OFLOW] > 0) dropped['oflow-drop'] = out.drops[i * 3 + DROP_OFLOW];
      if (out.drops[i * 3 + DROP_LOST] > 0) dropped['non-onload-loss'] = out.drops[i * 3 + DROP_LOST];
      const droppedTotal = Object.values(dropped).reduce((a, x) => a + x, 0);
      const key = input.perSocketLatency ? `s${i}` : `u${si}`;
      const latency = Object.fromEntries(paths.map((p) => {
        const l = path === p ? latencyOf(out, `${key}|${p}`, summaries) : { scheduled: EMPTY_SUMMARY, sent: EMPTY_SUMMARY };
        return [p, { last: l, total: l }];
      })) as MembershipSnapshot['latency'];
      return {
        membership: m.id, group: m.group, path: d.path, cause: d.cause, stack: m.stack,
        account: {
          sent: out.sent[i],
          delivered: { bypass: path === 'bypass' ? delivered : 0, kernel: path === 'kernel' ? delivered : 0, offload: path === 'offload' ? delivered : 0 },
          dropped, detected: { ringOverrun: dropped['ring-overrun'] ?? 0, oflow: dropped['oflow-drop'] ?? 0, socketDrops: path === 'kernel' ? dropped['oflow-drop'] ?? 0 : null },
          inFlight: 0, balanced: out.sent[i] === delivered + droppedTotal,
        },
        messages: 0, sequenceGaps: 0, missingMessages: 0, outOfOrder: 0,
        bytesCopied: 0, deliveredPerSecond: out.endNs > 0 ? (delivered * 1e9) / out.endNs : 0,
        parsing: { stack: path === 'bypass' && s.receive !== 'ef_vi' ? delivered : 0, application: path === 'bypass' && s.receive === 'ef_vi' ? delivered : 0, applicationRejected: 0, offloadReads: path === 'offload' ? delivered : 0 },
        latency, active: true,
      };
    });
    const copied = out.bytesCopied[si];
    const total = memberships.reduce((n, m) => n + m.account.delivered.bypass + m.account.delivered.kernel + m.account.delivered.offload, 0);
    for (const m of memberships) {
      const d = m.account.delivered.bypass + m.account.delivered.kernel + m.account.delivered.offload;
      m.bytesCopied = total > 0 ? Math.round((copied * d) / total) : 0;
    }
    const stack = b.stackOf[si];
    return {
      name: s.name, pid: null, alive: true, exit: null, onload: s.onload, stack, stackName: stack === null ? null : s.efName,
      waiting: waitingName(s), spinning: spins(s), blocked: false, receive: s.receive, work: s.work, memberships,
      contextSwitches: { voluntary: out.voluntary[si], involuntary: 0 }, cpuUs: out.busyNs[si] / 1e3,
      sinceFirstPacket: { voluntary: out.voluntary[si], involuntary: 0, cpuUs: out.busyNs[si] / 1e3 }, interrupts: out.interrupts[si], orders: 0,
    };
  });
  const onStack = new Map<number, { s: SubscriberSettings; i: number }[]>();
  active.forEach((s, i) => {
    const id = b.stackOf[i];
    if (id === null) return;
    const list = onStack.get(id);
    if (list) list.push({ s, i });
    else onStack.set(id, [{ s, i }]);
  });
  const filtersOf = new Map<number, string[]>();
  for (const f of steering.filters) filtersOf.set(f.stack, [...(filtersOf.get(f.stack) ?? []), f.group]);
  const stacks: StackView[] = b.stackNames.map((key, id) => {
    const subs = onStack.get(id) ?? [];
    const sockets = subs.flatMap(({ s, i }) => subscribers[i].memberships.map((m) => ({
      socket: null, subscriber: s.name, pid: 0, group: m.group, state: memberState(m.path === 'none' ? undefined : m.path),
      delivered: m.account.delivered.bypass, os: m.account.delivered.kernel, oflowDrop: m.account.dropped['oflow-drop'] ?? 0,
      overrun: m.account.dropped['ring-overrun'] ?? 0, queued: 0, maxQueued: 0, interrupts: 0,
    })));
    return {
      id, name: key.startsWith('#') ? null : key, segment: `model.stack${id}`, pids: [], live: true, ringSlots: subs[0]?.s.ring ?? 0, ringFill: 0,
      rxPackets: sockets.reduce((n, x) => n + x.delivered + x.overrun, 0) / Math.max(1, new Set(sockets.map((x) => x.subscriber)).size),
      overrun: sockets.reduce((n, x) => n + x.overrun, 0), sockets, filters: filtersOf.get(id) ?? [],
    };
  });
  const perGroup = new Float64Array(config.groups.length);
  for (let p = 0; p < input.feed.count; p++) if (input.feed.group[p] >= 0) perGroup[input.feed.group[p]]++;
  const groups = config.groups.map((g, gi) => {
    const gs = steering.groups.get(g);
    const packets = perGroup[gi];
    return { group: g, packets, kernelSends: gs?.kernel ? packets : 0, ringWrites: packets * (gs?.stacks.length ?? 0), stacks: gs?.stacks ?? [], kernel: gs?.kernel ?? false, conflict: gs?.conflict ?? false };
  });
  const lag = summarizeCounts(out.nicLag);
  const runMs = out.endNs / 1e6;
  const snapshot: LabSnapshot = {
    state: 'done', runMs,
    config: {
      name: config.name, file: config.file, description: config.description, nic: config.nic.name, nicDescription: describeNic(config.nic, config.filterTable),
      replication: config.nic.replication, filterTable: config.filterTable, recording: config.recording, durationMs: input.durationNs !== null ? input.durationNs / 1e6 : input.speed > 0 ? input.feed.lengthNs / input.speed / 1e6 : null, loop: config.loop,
      plan: active.map((s) => ({ subscriber: s.name, groups: s.groups })),
    },
    nic: {
      packets: out.packets, messages: out.messages, bytes: 0, positionNs: out.endNs, lengthNs: input.feed.lengthNs, startNs: 0, lagNs: 0, worstLagNs: lag.max,
      kernelSends: out.kernelSends, ringWrites: out.ringWrites, loops: 0, unjoined: 0, tooBig: 0, done: true, paused: false, speed: input.speed,
      peak1msPackets: 0, peak100msPackets: 0, peak100msRunPackets: 0, gc: null, maxGcNs: null, pid: null,
      packetsPerSecond: out.endNs > 0 ? (out.packets * 1e9) / out.endNs : 0, messagesPerSecond: out.endNs > 0 ? (out.messages * 1e9) / out.endNs : 0,
    },
    stacks, groups, subscribers,
    events: pathEvents({ nic: config.nic, filterTable: config.filterTable, atMs: 0 }, EMPTY_STEERING, steering, members, []),
    totals: totalsOf(subscribers, true),
    isolation: { kind: 'model', pid: null, portOffset: 0, note: 'virtual time: no kernel path to isolate, the model costs it' },
    dropsExplained: [],
    host: {
      verdict: 'clean', reasons: [], sampledMs: runMs, cores: profile.cores, processes: [],
      nicLag: { p50Ns: lag.p50, p99Ns: lag.p99, maxNs: lag.max, packets: lag.count }, outsideCores: null, stealShare: null, foreignDatagrams: 0,
    },
    model: { profile: profile.name, profileFile: profile.file, cores: profile.cores, description: profile.description, deliveries: out.deliveries },
    warnings,
    error: null,
  };
  const meanPayload = input.feed.count > 0 ? input.feed.bytes.reduce((a, x) => a + x, 0) / input.feed.count : 100;
  snapshot.dropsExplained = explainDrops(snapshot, active, (rcvbuf) => {
    const granted = rcvbuf ?? profile.costs.defaultRcvbufBytes;
    return { grantedBytes: granted, datagrams: Math.floor(granted / (meanPayload + profile.costs.truesizeOverheadBytes)), payloadBytes: Math.round(meanPayload) };
  });
  return snapshot;
}

/** One interval per series, the whole virtual run: what .hlog files and compare read. */
export function modelSeries(b: Built, out: ModelOutput, startMs: number): LatencySeries[] {
  const list: LatencySeries[] = [];
  const endMs = startMs + out.endNs / 1e6;
  b.members.forEach((m, i) => {
    const path = b.input.sockets[i].path;
    if (path === 'lost') return;
    const si = b.input.sockets[i].subscriber;
    const key = b.input.perSocketLatency ? `s${i}` : `u${si}`;
    for (const [clock, name] of [[0, 'scheduled'], [1, 'sent']] as const) {
      const counts = fullCounts(out, `${key}|${path}|${clock}`);
      if (!counts) continue;
      let top = counts.length - 1;
      while (top > 0 && counts[top] === 0) top--;
      const h = countsToHistogram(counts);
      h.startTimeStampMsec = startMs;
      h.endTimeStampMsec = endMs;
      list.push({ subscriber: m.subscriber, group: m.group, path, clock: name, intervals: [{ startMs, endMs, maxNs: counts[top] > 0 ? HIGHEST_OF_INDEX[top] : 0, histogram: hdr.encodeIntoCompressedBase64(h) }] });
      h.destroy();
    }
  });
  return list;
}
