/**
 * The lab's controller, Onload's driver in this emulation: it creates the NIC segment and the
 * stacks, starts the NIC and the subscriber processes, turns joins, leaves and exits into
 * filter decisions (the pure core in onload/fallback.ts), publishes the steering table, keeps
 * the event timeline, gathers snapshots, and tears everything down, whatever ends the run.
 */
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { basename } from 'node:path';
import { snapshotPlan } from './plan.js';
import { randomInt } from 'node:crypto';
import { MdlabError } from '../errors.js';
import type { GroupAssignment } from '../feed/feed-traffic.js';
import type { FromServer, ToServer } from '../recovery/server-child.js';
import type { ServerCounters } from '../recovery/request-server.js';
import { parseGroup } from '../feed/channels.js';
import { HistogramStore } from '../metrics/histogram-store.js';
import { nowNs } from '../metrics/clock.js';
import type { Clock, EncodedInterval, RecordedPath } from '../metrics/latency.js';
import { describeNic } from '../nic/models.js';
import { F_READ_UNTIL, MAX_STACKS, MEMBER_ACTIVE, MEMBER_ENDED, NicSegment, PATH_BYPASS, PATH_KERNEL, PATH_LOST, PATH_NONE, PATH_OFFLOAD, W_DONE } from '../nic/nic-layout.js';
import type { FromNic, ToNic } from '../nic/nic-protocol.js';
import { decide, EMPTY_STEERING, type Member, type Path, type Steering } from '../onload/fallback.js';
import { pathEvents } from '../onload/path-events.js';
import { RegistryWriter } from '../onload/registry.js';
import { DEFAULT_SLOT_BYTES, MAX_MEMBERSHIPS, StackSegment } from '../onload/stack-layout.js';
import { getAffinity, listSegments, segmentName, setAffinity, sweepStaleSegments, unlinkSegment } from '../shm/segment.js';
import { HistogramReader } from '../metrics/shm-histogram.js';
import type { FromSubscriber, JoinRequest, ToSubscriber } from '../subscriber/protocol.js';
import type { InjectedDrop } from '../nic/loss-injector.js';
import { kernelReason, spins, type SubscriberSettings } from '../subscriber/settings.js';
import { account, type AccountState } from './accounting.js';
import { formatDurationNs } from '../metrics/duration.js';
import { ensureWarden, forkChild, lastErrorLine, wardenWatch } from './children.js';
import { isolate, type Isolation } from '../kernel/netns.js';
import { SocketRooms } from './socket-rooms.js';
import { explainDrops } from './drop-explain.js';
import { defaultRcvbuf } from '../kernel/loopback.js';
import { entriesFor, SideTableWriter } from '../kernel/side-table.js';
import { HealthSampler, type LabProcess } from './health-sampler.js';
import type { LabConfig, TimedEvent } from './config.js';
import { STACK_SOCKETS, stackKey } from './timeline-check.js';
import { memberState, totalsOf } from './lab-views.js';
import type { MembershipState, StackState, SubscriberState } from './lab-state.js';
import { membershipView, stackView, subscriberView, type LatencyLookup } from './lab-snapshot.js';
import { planCpus } from './cpu-plan.js';
import { withTimeout } from './timeout.js';
import type { GroupView, LabEvent, LabSnapshot, LabState, MembershipSnapshot, ProcessEvent, StackView, SubscriberSnapshotView } from './snapshot.js';

export interface LabOptions {
  /** Overrides the config's duration. */
  durationNs?: number | null;
  /** Overrides the config's speed (0 = top speed). */
  speed?: number;
  /** How often subscribers report and the lab publishes a snapshot. */
  snapshotMs?: number;
  /** Overrides the config's loop (the dashboard loops until you quit). */
  loop?: boolean;
  /** Keep every latency interval (encoded) for HdrHistogram log files. */
  keepIntervals?: boolean;
  /** Have the NIC write a V8 CPU profile of its replay to this file (the bench). */
  nicProfile?: string;
}

type Listener = (s: LabSnapshot) => void;

const STARTUP_TIMEOUT_MS = 15_000;
const DRAIN_TIMEOUT_MS = 10_000;
/** After the replay, each reader reads what is queued for it for this long; the rest is counted unread. */
const DRAIN_READ_MS = 2_000;
const START_DELAY_NS = 100e6;

let instances = 0;

/** The path codes the NIC's steering table uses. */
/** A send to a child that died meanwhile: nothing to do here, its exit is handled where it is seen. */
const ignoreSendError = (): void => undefined;
const NIC_PATH_CODES: Readonly<Record<Path, number>> = { bypass: PATH_BYPASS, kernel: PATH_KERNEL, offload: PATH_OFFLOAD, lost: PATH_LOST };

export class Lab {
  private readonly labPid = process.pid;
  /** Several labs may run in one process (tests, sweeps): each has its own segments and id. */
  private readonly instance = `l${++instances}`;
  /** Stamped on kernel datagrams, so labs sharing loopback groups ignore each other's traffic. */
  private readonly labId = randomInt(1, 0xffffffff);
  private readonly nicSegmentName = segmentName(process.pid, `${this.instance}.nic`);
  private readonly registryName = segmentName(process.pid, `${this.instance}.registry`);
  private readonly sideTableName = segmentName(process.pid, `${this.instance}.kernel`);
  private nicSeg: NicSegment | undefined;
  private registry: RegistryWriter | undefined;
  private nic: { child: ChildProcess; stderr: () => string; pid: number } | undefined;
  private nicChild: ChildProcess | undefined;
  private readonly stacks = new Map<string, StackState>();
  private readonly subscribers: SubscriberState[] = [];
  private readonly groupIndex = new Map<string, number>();
  private readonly members: Member[] = [];
  private readonly allMemberships = new Map<number, MembershipState>();
  private steering: Steering = EMPTY_STEERING;
  private nextMembership = 0;
  private readonly histograms = new HistogramStore();
  private readonly health = new HealthSampler();
  private readonly events: LabEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private state: LabState = 'starting';
  private startNs = 0;
  private endNs = 0;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private nicDone: Promise<string> | undefined;
  private error: string | null = null;
  private readonly warnings: string[] = [];
  /** Dead subscribers' accounts still to be read (once the NIC has applied the table without them). */
  private readonly exitAccounts = new Set<Promise<void>>();
  /** What the config said that the run could not do (a timed event that failed, a group never sent to). */
  private readonly problems: { where: string; group: string | null; what: string }[] = [];
  /** Who joins what, in which stack, by which path the fallback core expects: the first frame draws it before any process is up. */
  private readonly plan: NonNullable<LabSnapshot['config']['plan']>;
  /** Whether the NIC scanned the recording for its groups (a very large one is not: its silent groups show at the end). */
  private groupsScanned = false;
  private tornDown = false;
  private lengthNs: number | null = null;
  private meanPayloadBytes: number | null = null;
  /** Groups the recording's unaddressed datagrams were given (anonymised captures): the run says so. */
  private assignedGroups: GroupAssignment[] = [];
  private recoveryChild: ChildProcess | undefined;
  private recoveryServer: { port: number; pid: number } | null = null;
  private recoveryCounts: ServerCounters | null = null;
  /** The speed last asked for (setSpeed), before the NIC has taken it. */
  private requestedSpeed: number | null = null;
  /** The most packets each membership had queued at a snapshot (stackdump's q_max_pkts). */
  private readonly maxQueued = new Map<number, number>();
  private readonly rooms = new SocketRooms();
  private lastLatencyReadMs = Date.now();
  private startEpochMs = Date.now();
  private lastRate = { atNs: 0, packets: 0, messages: 0, pps: 0, mps: 0 };
  private readonly durationNs: number | null;
  private readonly speed: number;
  private readonly snapshotMs: number;
  private readonly loop: boolean;
  private readonly nicProfile: string | undefined;
  private readonly eventTimers: NodeJS.Timeout[] = [];
  /** CPUs for processes that are not pinned: all but those pinned subscribers reserve (null: no plan). */
  private sharedCpus: number[] | null = null;
  /** The controller's CPUs before the plan pinned it (null: not pinned), for teardown to put back. */
  private startedOnCpus: number[] | null = null;
  /** The lab's network namespace, or why it has none. */
  private isolation: Isolation = { kind: 'shared', portOffset: 0, pid: null, enter: [], note: 'not started' };
  private nsHolder: ChildProcess | null = null;

  constructor(readonly config: LabConfig, options: LabOptions = {}) {
    this.durationNs = options.durationNs !== undefined ? options.durationNs : config.durationNs;
    this.plan = snapshotPlan(config);
    this.speed = options.speed ?? config.speed;
    this.snapshotMs = options.snapshotMs ?? 250;
    this.loop = options.loop ?? config.loop;
    this.nicProfile = options.nicProfile;
    this.histograms.keepIntervals = options.keepIntervals ?? false;
    config.groups.forEach((g, i) => this.groupIndex.set(g, i));
  }

  /** Publishes snapshots to `fn` until unsubscribed. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private get runMs(): number {
    if (this.startNs === 0) return 0;
    return ((this.endNs || nowNs()) - this.startNs) / 1e6;
  }

  private emit(e: LabEvent): void {
    this.events.push(e);
  }

  private processEvent(kind: ProcessEvent['kind'], sub: SubscriberState | null, message: string): void {
    this.emit({ atMs: Math.max(0, this.runMs), kind, subscriber: sub?.settings.name ?? null, pid: sub?.pid ?? null, message });
  }

  // ---------------------------------------------------------------- setup

  /** Creates the segments and processes, joins every group, and starts the replay. */
  async start(): Promise<void> {
    try {
      // The warden first: from the first segment on, nothing of this lab can outlive it.
      await ensureWarden();
      const ns = await isolate([...new Set(this.config.groups.map((g) => parseGroup(g).port))], wardenWatch);
      this.isolation = ns.isolation;
      this.nsHolder = ns.holder;
      if (ns.isolation.kind === 'shared' || ns.isolation.kind === 'ports') this.warnings.push(ns.isolation.note);
      sweepStaleSegments();
      this.nicSeg = NicSegment.create(this.nicSegmentName);
      SideTableWriter.create(this.sideTableName, Math.max(1, this.config.groups.length), entriesFor(Math.max(defaultRcvbuf(), ...this.config.subscribers.map((s) => s.rcvbuf ?? 0))));
      this.registry = new RegistryWriter(this.registryName);
      this.config.groups.forEach((g, i) => {
        const { group, port } = parseGroup(g);
        this.nicSeg!.setGroup(i, group, port);
      });
      this.applyCpuPlan();
      // Watchers see the lab being built (a dashboard draws its frame at once), then run.
      this.snapshotTimer = setInterval(() => this.publish(), this.snapshotMs);
      this.publish();
      // The NIC and the subscribers start side by side: each is a Node process to boot.
      const subscribers = this.config.subscribers.filter((s) => !this.config.deferred.includes(s.name));
      await Promise.all([this.startNic(), this.startRecoveryServer(), ...subscribers.map((s) => this.startSubscriber(s).then(() => undefined, (err: unknown) => this.diedStarting(s.name, err)))]);
      await this.rooms.measure(this.config.subscribers.filter((x) => x.receive !== 'offload').map((x) => x.rcvbuf), this.meanPayloadBytes ?? 100);
      for (const sub of this.subscribers) {
        for (const g of sub.settings.groups) {
          if (!sub.alive) break;
          await this.joinGroup(sub, g).catch((err: unknown) => this.diedStarting(sub.settings.name, err));
        }
      }
      this.go();
      this.scheduleEvents();
    } catch (err) {
      await this.teardown();
      throw err;
    }
  }

  /**
   * A subscriber that died while the lab was starting is a process that died (its exit is an
   * event, what was sent to it is process-exit): the run goes on without it. Any other failure
   * to start (it reported an error, it hung) ends the start.
   */
  private diedStarting(name: string, err: unknown): void {
    const sub = this.subscribers.find((s) => s.settings.name === name);
    if (!sub || sub.alive) throw err;
    this.warnings.push(`${name} (pid ${sub.pid}) ${sub.exit ?? 'exited'} while the lab was starting: the run goes on without it`);
  }

  /**
   * The CPU plan (cpu-plan.ts): the controller runs on the shared CPUs until teardown, which puts
   * back the mask it had. A process that runs labs one after another (a sweep, the bench, a test
   * file) would otherwise start the next lab confined, and its children inherit the mask: four
   * top-speed subscribers and the NIC all on CPU 0 of two.
   */
  private applyCpuPlan(): void {
    const plan = planCpus(this.config.subscribers, cpus().length);
    this.warnings.push(...plan.warnings);
    for (const s of this.config.subscribers) if (plan.unpinned.includes(s.name)) s.cpu = null;
    this.sharedCpus = plan.shared;
    if (plan.shared) {
      this.startedOnCpus = getAffinity();
      setAffinity(plan.shared);
    }
  }

  /** The re-request server's counts, for the final snapshot (it answers at once; a dead one is skipped). */
  private async readRecoveryCounts(): Promise<void> {
    const child = this.recoveryChild;
    if (!child || !child.connected) return;
    const got = new Promise<void>((resolve) => {
      const on = (m: FromServer) => {
        if (m.type === 'counts') {
          child.off('message', on);
          resolve();
        }
      };
      child.on('message', on);
    });
    child.send({ type: 'counts' } satisfies ToServer);
    await withTimeout(got, 1000, 'no counts').catch(() => undefined);
  }

  /** Loss recovery: the lab's re-request server, a process of its own in the lab's namespace. */
  private async startRecoveryServer(): Promise<void> {
    const rc = this.config.recovery;
    if (!rc) return;
    const { child } = forkChild('recovery/server-child.js', this.isolation.enter);
    this.recoveryChild = child;
    const ready = new Promise<FromServer>((resolve) => {
      child.on('message', (m: FromServer) => {
        if (m.type === 'counts') this.recoveryCounts = m.counters;
        else resolve(m);
      });
      child.once('exit', (code, signal) => resolve({ type: 'error', message: `it exited (${signal ?? `code ${code}`})` }));
    });
    child.send({ type: 'start', recording: this.config.recording, feed: this.config.decodeAs ? { decodeAs: this.config.decodeAs } : undefined, limits: rc.limits, nicSegment: this.nicSegmentName } satisfies ToServer);
    const r = await withTimeout(ready, STARTUP_TIMEOUT_MS, 'the re-request server did not start');
    if (r.type === 'error') throw new MdlabError(`the re-request server could not start: ${r.message}`);
    if (r.type === 'ready') this.recoveryServer = { port: r.port, pid: child.pid ?? 0 };
    child.on('exit', () => {
      // A server that dies mid-run: readers keep asking, and what they never get is unrecovered.
      if (this.state !== 'done') this.processEvent('warning', null, 're-request server exited: gaps from now on stay unrecovered');
      this.recoveryServer = this.recoveryServer ? { ...this.recoveryServer, pid: 0 } : null;
    });
  }

  private async startNic(): Promise<void> {
    const { child, stderr } = forkChild('nic/nic-process.js', this.isolation.enter);
    this.nicChild = child;
    const groups = this.config.groups.map((g) => {
      const { group, port } = parseGroup(g);
      return { addr: group, port, sendPort: port + this.isolation.portOffset };
    });
    let onReady!: (m: FromNic) => void;
    const ready = new Promise<FromNic>((resolve) => (onReady = resolve));
    let resolveDone!: (reason: string) => void;
    this.nicDone = new Promise<string>((resolve) => (resolveDone = resolve));
    child.on('message', (m: FromNic) => {
      if (m.type === 'ready' || m.type === 'error') onReady(m);
      if (m.type === 'done') {
        if (m.assignments.length > 0) this.assignedGroups = m.assignments;
        resolveDone(m.reason);
      }
      if (m.type === 'error') {
        this.error = `NIC: ${m.message}`;
        resolveDone('error');
      }
    });
    child.on('exit', (code, signal) => {
      onReady({ type: 'error', message: `the NIC process exited (${signal ?? `code ${code}`}) ${lastErrorLine(stderr())}`.trim() });
      if (this.state !== 'done' && this.state !== 'draining') {
        this.error ??= `the NIC process exited (${signal ?? `code ${code}`}) ${lastErrorLine(stderr())}`.trim();
        resolveDone('error');
      }
    });
    this.sendNic({ type: 'start', recording: this.config.recording, feed: this.config.decodeAs ? { decodeAs: this.config.decodeAs } : undefined, nicSegment: this.nicSegmentName, groups, speed: this.speed, loop: this.loop, cpus: this.sharedCpus, lab: this.labId, sideTable: this.sideTableName, drops: this.injectedDrops(), ...(this.nicProfile ? { profile: this.nicProfile } : {}) });
    const r = await withTimeout(ready, STARTUP_TIMEOUT_MS, 'the NIC did not start');
    if (r.type === 'error') throw new MdlabError(`the NIC could not start: ${r.message}`);
    if (r.type === 'ready') {
      this.nic = { child, stderr, pid: r.pid };
      this.groupsScanned = r.silentGroups !== null;
      if (r.silentGroups) this.silentGroups(r.silentGroups.map((g) => this.config.groups[g]));
      this.lengthNs = r.lengthNs;
      this.meanPayloadBytes = r.meanPayloadBytes;
      this.assignedGroups = r.assignments;
    }
  }

  /**
   * Groups the recording never sends to: whoever joins one receives nothing. Each is said as an
   * event (the dashboard's timeline) and a warning, and kept as a problem, which fails a run with
   * expectations: the experiment is not the one its config describes.
   */
  private silentGroups(silent: readonly string[]): void {
    const sent = this.config.groups.filter((g) => !silent.includes(g));
    for (const group of silent) {
      if (this.problems.some((p) => p.group === group)) continue;
      const who = this.config.subscribers.filter((s) => s.groups.includes(group)).map((s) => s.name);
      const joins = this.config.events.flatMap((e, i) => (e.action === 'join' && e.group === group ? [{ i, s: e.subscriber }] : []));
      const names = [...new Set([...who, ...joins.map((j) => j.s)])];
      const what = `${group}: the recording (${basename(this.config.recording)}) never sends to this group, so ${names.length > 0 ? names.join(', ') : 'whoever joins it'} will receive nothing from it${sent.length > 0 ? ` (it does send to ${sent.slice(0, 4).join(', ')}${sent.length > 4 ? ', …' : ''})` : ''}`;
      const at = who.length > 0 ? `subscribers[${this.config.subscribers.findIndex((s) => s.groups.includes(group))}].groups` : joins.length > 0 ? `events[${joins[0].i}]` : 'subscribers';
      this.problems.push({ where: at, group, what });
      this.warnings.push(what);
      this.processEvent('warning', null, what);
    }
  }

  /** The config's drop events, as the NIC applies them: by run time and group index. */
  private injectedDrops(): InjectedDrop[] {
    return this.config.events.flatMap((e) =>
      e.action === 'drop' ? [{ atNs: e.atNs, groups: e.drop.groups.map((g) => this.groupIndex.get(g) ?? -1), packets: e.drop.packets, rate: e.drop.rate, seed: e.drop.seed }] : [],
    );
  }

  /** A/B lines: the channel this group is a line of, when the subscriber reads both of its lines. */
  private lineOf(sub: SubscriberState, group: string): JoinRequest['line'] {
    const pair = this.config.lines.pairs.find((p) => p.a === group || p.b === group);
    if (!pair) return null;
    const other = pair.a === group ? pair.b : pair.a;
    const reads = (g: string) => sub.settings.groups.includes(g) || this.config.events.some((e) => e.action === 'join' && e.subscriber === sub.settings.name && e.group === g);
    if (!reads(other)) return null;
    return { channel: pair.a, b: pair.b, line: pair.a === group ? 0 : 1, waitNs: this.config.lines.waitNs };
  }

  private sendNic(msg: ToNic | { type: 'speed'; speed: number } | { type: 'pause' } | { type: 'resume' }): void {
    const child = this.nicChild;
    if (child && child.connected) child.send(msg, ignoreSendError);
  }

  /**
   * The stack a subscriber's sockets live in: by EF_NAME (shared), or its own; an ef_vi
   * application's virtual interface (a ring of its own). None outside Onload, or when offloaded.
   */
  private stackFor(s: SubscriberSettings, pid: number): StackState | null {
    const key = stackKey(s);
    if (key === null) return null;
    let st = this.stacks.get(key);
    if (!st) {
      // Stack ids count from 0, as Onload numbers its stacks (onload_stackdump's first row is 0).
      const id = this.stacks.size;
      if (id >= MAX_STACKS) throw new MdlabError(`at most ${MAX_STACKS} stacks in one lab`);
      const segment = segmentName(this.labPid, `${this.instance}.stack${id}`);
      const seg = StackSegment.create(segment, id, s.efName ?? '', { slotCount: s.ring, slotSize: DEFAULT_SLOT_BYTES, sockets: STACK_SOCKETS });
      st = { id, slot: id, name: s.efName, segment, seg, pids: new Set(), live: true };
      this.stacks.set(key, st);
      this.nicSeg!.setStack(st.slot, id, segment);
    } else if (st.seg.slotCount < s.ring) {
      this.warnings.push(`${s.name} asks for a ${s.ring}-slot ring, but its shared stack ${st.name} was created with ${st.seg.slotCount}`);
    }
    st.pids.add(pid);
    return st;
  }

  private async startSubscriber(settings: SubscriberSettings): Promise<SubscriberState> {
    const { child, stderr } = forkChild('subscriber/subscriber-process.js', this.isolation.enter, settings.cpu !== null);
    const sub: SubscriberState = {
      index: this.subscribers.length, settings, child, stderr, pid: child.pid ?? 0, alive: true, exit: null,
      stack: null, memberships: new Map(), last: undefined, final: false, waiters: new Map(),
    };
    this.subscribers.push(sub);
    child.on('message', (m: FromSubscriber) => this.onSubscriberMessage(sub, m));
    child.on('exit', (code, signal) => this.onSubscriberExit(sub, code, signal));
    sub.stack = this.stackFor(settings, sub.pid);
    const ready = this.waitFor(sub, 'ready');
    const pin = settings.cpu !== null ? [settings.cpu] : this.sharedCpus;
    this.sendSub(sub, { type: 'init', index: sub.index, settings, nicSegment: this.nicSegmentName, snapshotMs: this.snapshotMs, cpus: pin, lab: this.labId });
    const r = await withTimeout(ready, STARTUP_TIMEOUT_MS, `${settings.name} did not start`);
    if (r.type === 'error') throw new MdlabError(`${settings.name} could not start: ${r.message}`);
    return sub;
  }

  private sendSub(sub: SubscriberState, msg: ToSubscriber): void {
    // A child that has died but whose exit is not yet handled fails the write (EPIPE): given a
    // callback, send reports it there instead of as an 'error' event; its exit is accounted for.
    if (sub.alive && sub.child.connected) sub.child.send(msg, ignoreSendError);
  }

  private waitFor(sub: SubscriberState, key: string): Promise<FromSubscriber> {
    return new Promise((resolve) => sub.waiters.set(key, resolve));
  }

  private onSubscriberMessage(sub: SubscriberState, m: FromSubscriber): void {
    switch (m.type) {
      case 'snapshot': {
        sub.last = m;
        if (m.book) sub.book = m.book;
        if (m.liveHeap) sub.liveHeap = m.liveHeap;
        for (const r of m.memberships) {
          const ms = sub.memberships.get(r.membership);
          if (ms && !ms.finalReport) ms.report = r;
        }
        if (m.final) {
          sub.final = true;
          for (const ms of sub.memberships.values()) ms.finalReport = ms.finalReport || ms.active;
        }
        sub.waiters.get(m.final ? 'final' : 'snapshot')?.(m);
        break;
      }
      case 'ready':
        sub.waiters.get('ready')?.(m);
        break;
      case 'joined':
        sub.waiters.get(`joined:${m.membership}`)?.(m);
        break;
      case 'left': {
        const ms = sub.memberships.get(m.membership);
        if (ms) {
          ms.report = m.report;
          ms.finalReport = true;
        }
        sub.waiters.get(`left:${m.membership}`)?.(m);
        break;
      }
      case 'error':
        this.processEvent('warning', sub, `${sub.settings.name}: ${m.message}`);
        for (const w of sub.waiters.values()) w(m);
        break;
    }
  }

  // ---------------------------------------------------------------- joins, leaves, exits

  private async joinGroup(sub: SubscriberState, group: string): Promise<void> {
    const g = this.groupIndex.get(group);
    if (g === undefined) throw new MdlabError(`${group} is not a group of this lab's config`);
    if ([...sub.memberships.values()].some((m) => m.active && m.groupName === group)) throw new MdlabError(`${sub.settings.name} is already joined to ${group}`);
    if (this.nextMembership >= MAX_MEMBERSHIPS) throw new MdlabError(`no membership slots left (at most ${MAX_MEMBERSHIPS} joins in one run)`);
    const id = this.nextMembership++;
    const reason = kernelReason(sub.settings);
    const { group: addr, port } = parseGroup(group);
    const onRing = sub.stack !== null && reason === null;
    const joined = this.waitFor(sub, `joined:${id}`);
    const histogram = segmentName(this.labPid, `${this.instance}.m${id}.latency`);
    const recovery = this.config.recovery && this.recoveryServer ? { port: this.recoveryServer.port, timeoutNs: this.config.recovery.timeoutNs, policy: this.config.recovery.policy } : null;
    this.sendSub(sub, { type: 'join', membership: id, group: g, groupName: group, addr, port, kernelPort: port + this.isolation.portOffset, stack: onRing ? { segment: sub.stack!.segment, id: sub.stack!.id } : null, histogram, sideTable: this.sideTableName, recovery, line: this.lineOf(sub, group) });
    const r = await withTimeout(joined, STARTUP_TIMEOUT_MS, `${sub.settings.name} did not join ${group}`);
    if (r.type === 'error') throw new MdlabError(`${sub.settings.name} could not join ${group}: ${r.message}`);
    const member: Member = { id, subscriber: sub.settings.name, pid: sub.pid, group, stack: sub.stack?.id ?? null, stackName: sub.stack?.name ?? null, kernelReason: reason, offload: sub.settings.receive === 'offload' };
    const ms: MembershipState = { id, group: g, groupName: group, member, active: true, report: undefined, finalReport: false, endedAccount: null, latency: new HistogramReader(histogram) };
    sub.memberships.set(id, ms);
    this.allMemberships.set(id, ms);
    this.members.push(member);
    this.resteer([]);
  }

  /** Recomputes filters and paths, publishes them to the NIC, and records what changed. */
  private resteer(departed: Member[]): void {
    const before = this.steering;
    const after = decide(this.config.nic, this.config.filterTable, this.members, before.filters);
    this.steering = after;
    const slots = new Map<number, number>();
    for (const st of this.stacks.values()) slots.set(st.id, st.slot);
    const groups = this.config.groups.map((g) => {
      const gs = after.groups.get(g);
      let mask = 0;
      for (const id of gs?.stacks ?? []) mask |= 1 << slots.get(id)!;
      return { kernel: gs?.kernel ?? false, stackMask: mask };
    });
    const rows = [...this.allMemberships.values()].map((ms) => {
      const d = after.decisions.get(ms.id);
      const path = !ms.active || !d ? PATH_NONE : NIC_PATH_CODES[d.path];
      return { index: ms.id, group: ms.group, path, stackSlot: ms.member.stack === null ? 0 : slots.get(ms.member.stack) ?? 0, subscriber: 0, state: ms.active ? MEMBER_ACTIVE : MEMBER_ENDED };
    });
    this.nicSeg!.publishSteering(groups, rows);
    for (const e of pathEvents({ nic: this.config.nic, filterTable: this.config.filterTable, atMs: Math.max(0, this.runMs) }, before, after, this.members, departed)) this.emit(e);
    this.publishRegistry();
  }

  private endMembership(sub: SubscriberState, ms: MembershipState): void {
    ms.active = false;
    const i = this.members.indexOf(ms.member);
    if (i >= 0) this.members.splice(i, 1);
  }

  /** The subscriber leaves a group: the filter decision is redone at once, then it drains and closes. */
  async leave(subscriber: string, group: string): Promise<void> {
    const sub = this.subscriber(subscriber);
    const ms = [...sub.memberships.values()].find((m) => m.active && m.groupName === group);
    if (!ms) throw new MdlabError(`${subscriber} is not joined to ${group}`);
    this.endMembership(sub, ms);
    this.resteer([ms.member]);
    // The NIC sends to the member until it reads the new table, and counts it then: the reader
    // drains, and its account is read, once the NIC has (a NIC held off its CPU read it late, and
    // the account came out with a sent count of 0 against 75,652 delivered).
    await this.nicApplied(this.nicSeg!.steeringVersion());
    const left = this.waitFor(sub, `left:${ms.id}`);
    this.sendSub(sub, { type: 'leave', membership: ms.id });
    const answered = await withTimeout(left, DRAIN_TIMEOUT_MS, `${subscriber} did not leave ${group}`).then((m) => m.type === 'left', () => false);
    if (!answered && sub.alive) this.warnings.push(`${subscriber} gave no final count when it left ${group}: what it had not read is counted unread`);
    ms.endedAccount = account(this.nicSeg!.member(ms.id), ms.report, !sub.alive ? 'exited' : answered ? 'final' : 'unresponsive');
  }

  /** Until the NIC has applied steering `version` (its counts under the table before are in), it has finished, or it is gone. */
  private async nicApplied(version: number): Promise<void> {
    const seg = this.nicSeg!;
    const child = this.nicChild;
    const until = Date.now() + DRAIN_TIMEOUT_MS;
    while (seg.appliedVersion() < version && Atomics.load(seg.i32, W_DONE) === 0 && child?.exitCode === null && child.signalCode === null && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Every latency series with its intervals, for result files. */
  latencySeries(): { subscriber: string; group: string; path: RecordedPath; clock: Clock; intervals: readonly EncodedInterval[] }[] {
    return this.histograms.list().map((x) => ({ ...x, group: this.config.groups[x.group], intervals: this.histograms.intervals(x.subscriber, x.group, x.path, x.clock) }));
  }

  /** Wall-clock time (ms since the epoch) at which the run started. */
  get startedAtMs(): number {
    return this.startEpochMs;
  }

  /** Starts another subscriber while the lab runs, and joins its groups. */
  async addSubscriber(settings: SubscriberSettings): Promise<void> {
    if (this.subscribers.some((s) => s.settings.name === settings.name)) throw new MdlabError(`there is already a subscriber named ${settings.name}`);
    for (const g of settings.groups) if (!this.groupIndex.has(g)) throw new MdlabError(`${g} is not a group of this lab's config`);
    const sub = await this.startSubscriber({ ...settings, cpu: settings.cpu ?? null });
    this.processEvent('start', sub, `${settings.name} (pid ${sub.pid}) started${sub.stack ? ` in stack ${sub.stack.id}${sub.stack.name ? ` (${sub.stack.name})` : ''}` : ''}`);
    for (const g of settings.groups) await this.joinGroup(sub, g);
  }

  /** Settings of a running subscriber (to start another like it). */
  settingsOf(subscriber: string): SubscriberSettings {
    return this.subscriber(subscriber).settings;
  }

  async join(subscriber: string, group: string): Promise<void> {
    const sub = this.subscriber(subscriber);
    if (!sub.alive) throw new MdlabError(`${subscriber} is not running`);
    await this.joinGroup(sub, group);
  }

  /** Kills a subscriber with SIGKILL, as a crash would: the lab reports it and goes on. */
  kill(subscriber: string): void {
    const sub = this.subscriber(subscriber);
    if (!sub.alive) throw new MdlabError(`${subscriber} is not running`);
    sub.child.kill('SIGKILL');
  }

  private onSubscriberExit(sub: SubscriberState, code: number | null, signal: NodeJS.Signals | null): void {
    const wasAlive = sub.alive;
    sub.alive = false;
    sub.exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
    for (const w of sub.waiters.values()) w({ type: 'error', message: `${sub.settings.name} ${sub.exit}` });
    if (!wasAlive || this.tornDown || this.state === 'done') return;
    if (this.state === 'draining' && sub.final) return;
    // A crash: its sockets go, its stack detaches, the run goes on.
    const departed: Member[] = [];
    for (const ms of sub.memberships.values()) {
      if (!ms.active) continue;
      this.endMembership(sub, ms);
      departed.push(ms.member);
    }
    if (sub.stack) {
      sub.stack.pids.delete(sub.pid);
      if (sub.stack.pids.size === 0) sub.stack.live = false;
    }
    const why = lastErrorLine(sub.stderr());
    this.processEvent('exit', sub, `${sub.settings.name} (pid ${sub.pid}) ${sub.exit}${why ? `: ${why}` : ''}; its sockets close${sub.stack ? ` and it detaches from stack ${sub.stack.id}` : ''}`);
    if (departed.length > 0) this.resteer(departed);
    // As for a leave: the NIC went on sending to it until it read the new table, and its last
    // burst's counts reach the memberships only then. Until read, snapshots show the account live.
    const read = this.nicApplied(this.nicSeg!.steeringVersion()).then(() => {
      for (const ms of sub.memberships.values()) {
        if (!ms.endedAccount) ms.endedAccount = account(this.nicSeg!.member(ms.id), ms.report, 'exited');
      }
      this.exitAccounts.delete(read);
    });
    this.exitAccounts.add(read);
  }

  private subscriber(name: string): SubscriberState {
    const sub = this.subscribers.find((s) => s.settings.name === name);
    if (!sub) throw new MdlabError(`no subscriber named ${name}; this lab has ${this.subscribers.map((s) => s.settings.name).join(', ')}`);
    return sub;
  }

  // ---------------------------------------------------------------- running

  private go(): void {
    this.startNs = nowNs() + START_DELAY_NS;
    this.startEpochMs = Date.now() + START_DELAY_NS / 1e6;
    this.lastLatencyReadMs = this.startEpochMs;
    const stopAtNs = this.durationNs === null ? null : this.startNs + this.durationNs;
    this.sendNic({ type: 'go', startNs: this.startNs, stopAtNs });
    this.state = 'running';
    this.health.begin(this.startNs, this.labProcesses());
  }

  /** The config's timed events, at their times in the run; each is recorded with what it did. */
  private scheduleEvents(): void {
    for (const e of this.config.events) {
      const delayMs = Math.max(0, (this.startNs + e.atNs - nowNs()) / 1e6);
      const timer = setTimeout(() => void this.fire(e), delayMs);
      this.eventTimers.push(timer);
    }
  }

  private async fire(e: TimedEvent): Promise<void> {
    if (!this.running) return;
    const what =
      e.action === 'speed'
        ? `replay speed ${e.speed === 0 ? 'top' : `${e.speed}×`}`
        : e.action === 'drop'
          ? `the NIC drops ${e.drop.packets !== null ? `the next ${e.drop.packets} packets` : `packets at a rate of ${e.drop.rate}`} of ${e.drop.what} (injected loss)`
          : e.action === 'join' || e.action === 'leave'
            ? `${e.subscriber} ${e.action}s ${e.group}`
            : `${e.action} ${e.subscriber}`;
    this.processEvent('action', null, `timed event at ${(e.atNs / 1e9).toFixed(3)} s: ${what}`);
    try {
      switch (e.action) {
        case 'join':
          await this.join(e.subscriber, e.group);
          break;
        case 'leave':
          await this.leave(e.subscriber, e.group);
          break;
        case 'kill':
          this.kill(e.subscriber);
          break;
        case 'start': {
          const settings = this.config.subscribers.find((s) => s.name === e.subscriber)!;
          const existing = this.subscribers.find((s) => s.settings.name === e.subscriber);
          if (existing) throw new MdlabError(`${e.subscriber} is already running`);
          await this.addSubscriber(settings);
          break;
        }
        case 'speed':
          this.setSpeed(e.speed);
          break;
        case 'drop':
          // The NIC has the plan from the start and drops by its schedule: this only says so.
          break;
      }
    } catch (err) {
      const text = `timed event at ${(e.atNs / 1e9).toFixed(3)} s (${what}) failed: ${(err as Error).message}`;
      this.processEvent('warning', null, text);
      this.warnings.push(text);
      this.problems.push({ where: `events[${this.config.events.indexOf(e)}]`, group: null, what: text });
    }
  }

  setSpeed(speed: number): void {
    // Asked for now, taken by the NIC a moment later: the next key press steps from this one.
    this.requestedSpeed = speed;
    this.sendNic({ type: 'speed', speed });
    this.processEvent('speed', null, speed === 0 ? 'replay at top speed' : `replay at ${speed}× the recorded pace`);
  }

  pause(): void {
    if (this.state !== 'running') return;
    this.sendNic({ type: 'pause' });
    this.state = 'paused';
    this.processEvent('pause', null, 'replay paused');
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.sendNic({ type: 'resume' });
    this.state = 'running';
    this.processEvent('resume', null, 'replay resumed');
  }

  get speedNow(): number {
    return this.requestedSpeed ?? this.nicSeg?.status().speed ?? this.speed;
  }

  private get finished(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  get running(): boolean {
    return this.state === 'running' || this.state === 'paused';
  }

  /** Ends the replay early (the run then drains and finishes as usual). */
  stop(): void {
    this.sendNic({ type: 'stop' });
  }

  /** Waits for the replay to end, drains the subscribers, and returns the final snapshot. */
  async finish(): Promise<LabSnapshot> {
    try {
      await this.nicDone;
      await Promise.all(this.exitAccounts);
      for (const t of this.eventTimers) clearTimeout(t);
      this.endNs = nowNs();
      this.state = 'draining';
      this.health.freeze(this.endNs, this.labProcesses(), this.nicSeg!.lagSummary(), this.foreignDatagrams());
      // Readers hand packets to the application for DRAIN_READ_MS more; the rest they count unread.
      this.nicSeg!.f64[F_READ_UNTIL] = this.endNs + DRAIN_READ_MS * 1e6;
      const finals = this.subscribers.filter((s) => s.alive).map((s) => {
        const done = this.waitFor(s, 'final');
        this.sendSub(s, { type: 'drain', readMs: DRAIN_READ_MS });
        return withTimeout(done, DRAIN_READ_MS + DRAIN_TIMEOUT_MS, `${s.settings.name} did not drain`).catch(() => {
          if (s.alive && !s.final) this.warnings.push(`${s.settings.name} (pid ${s.pid}) gave no final count within ${(DRAIN_READ_MS + DRAIN_TIMEOUT_MS) / 1000} s: what it had not read is counted unread`);
        });
      });
      await Promise.all(finals);
      await this.readRecoveryCounts();
      this.state = this.error ? 'failed' : 'done';
      this.readLatency();
      // Unscanned (very large) recordings: a group that carried nothing in the whole run.
      if (!this.groupsScanned && this.nicSeg && this.nicSeg.status().loops === 0 && this.durationNs === null) {
        this.silentGroups(this.config.groups.filter((_, i) => this.nicSeg!.groupCounters(i).packets === 0));
      }
      const final = this.snapshot();
      this.warnUnread(final);
      final.warnings = [...this.warnings];
      for (const l of this.listeners) l(final);
      return final;
    } finally {
      await this.teardown();
    }
  }

  /** The lab's processes, as host health sees them: the controller, the NIC, every live subscriber. */
  private labProcesses(): LabProcess[] {
    const out: LabProcess[] = [{ role: 'controller', name: 'controller', pid: this.labPid, spinning: false, pinned: null, maxStallNs: null, maxGcNs: null }];
    if (this.nic) out.push({ role: 'nic', name: 'NIC', pid: this.nic.pid, spinning: false, pinned: null, maxStallNs: null, maxGcNs: this.nicSeg?.status().maxGcNs ?? null });
    for (const s of this.subscribers) {
      out.push({ role: 'subscriber', name: s.settings.name, pid: s.pid, spinning: spins(s.settings), pinned: s.settings.cpu, maxStallNs: s.last?.maxStallNs ?? null, maxGcNs: s.last?.maxGcNs ?? null });
    }
    return out;
  }

  private foreignDatagrams(): number {
    let n = 0;
    for (const s of this.subscribers) for (const ms of s.memberships.values()) n += ms.report?.foreignDatagrams ?? 0;
    return n;
  }

  /** A finished run names every reader that left packets unread: they are not delivered, and not hidden. */
  private warnUnread(s: LabSnapshot): void {
    for (const sub of s.subscribers) {
      for (const m of sub.memberships) {
        const n = m.account.dropped.unread ?? 0;
        if (n === 0) continue;
        const settings = this.config.subscribers.find((x) => x.name === sub.name);
        const slow = settings && settings.delayNs > 0 ? ` (it spends ${formatDurationNs(settings.delayNs)} a packet: slower than the feed)` : '';
        this.warnings.push(`${sub.name} had ${n.toLocaleString('en-US')} packets of ${m.group} unread when the run ended${slow}: counted as dropped (unread), not delivered`);
      }
    }
  }

  /** start() then finish(). */
  async run(): Promise<LabSnapshot> {
    await this.start();
    return this.finish();
  }

  /** Reads every membership's latency counts since the last read (off the measured processes). */
  private readLatency(): void {
    const now = Date.now();
    for (const sub of this.subscribers) {
      for (const ms of sub.memberships.values()) {
        if (ms.latency) this.histograms.add(sub.settings.name, ms.group, ms.latency.takeInterval(), this.lastLatencyReadMs, now);
      }
    }
    this.lastLatencyReadMs = now;
  }

  private publish(): void {
    this.readLatency();
    if (this.state === 'running' || this.state === 'paused') this.health.sample(nowNs(), this.labProcesses());
    if (this.listeners.size === 0 && this.state !== 'running') return;
    const s = this.snapshot();
    for (const l of this.listeners) l(s);
    // The feed's peaks shown are those since the last snapshot: the NIC starts new ones.
    if (this.state === 'running') this.nicSeg?.nextPeak();
    this.publishRegistry(s);
  }

  // ---------------------------------------------------------------- snapshots

  private membershipView(sub: SubscriberState, ms: MembershipState): MembershipSnapshot {
    const closing: AccountState = !sub.alive ? 'exited' : sub.final ? 'final' : this.finished ? 'unresponsive' : 'running';
    const acc = ms.endedAccount ?? account(this.nicSeg!.member(ms.id), ms.report, closing);
    return membershipView(sub, ms, this.steering.decisions.get(ms.id), acc, this.latencyLookup);
  }

  private readonly latencyLookup: LatencyLookup = (sub, group, path, clock, window) => this.histograms.summary(sub, group, path, clock, window);

  snapshot(): LabSnapshot {
    const nicStatus = this.nicSeg!.status();
    const now = nowNs();
    if (now - this.lastRate.atNs > 200e6) {
      const dt = (now - this.lastRate.atNs) / 1e9;
      if (this.lastRate.atNs > 0) {
        this.lastRate.pps = (nicStatus.packets - this.lastRate.packets) / dt;
        this.lastRate.mps = (nicStatus.messages - this.lastRate.messages) / dt;
      }
      this.lastRate = { atNs: now, packets: nicStatus.packets, messages: nicStatus.messages, pps: this.lastRate.pps, mps: this.lastRate.mps };
    }
    const subscribers: SubscriberSnapshotView[] = this.subscribers.map((s) => subscriberView(s, [...s.memberships.values()].map((ms) => this.membershipView(s, ms))));
    const stacks: StackView[] = [...this.stacks.values()].map((st) => stackView(st, this.subscribers, subscribers, this.maxQueued, this.steering.filters.filter((f) => f.stack === st.id).map((f) => f.group)));
    const groups: GroupView[] = this.config.groups.map((g, i) => {
      const gs = this.steering.groups.get(g);
      const c = this.nicSeg!.groupCounters(i);
      return { group: g, packets: c.packets, kernelSends: c.kernelSends, ringWrites: c.ringWrites, stacks: gs?.stacks ?? [], kernel: gs?.kernel ?? false, conflict: gs?.conflict ?? false };
    });
    const totals = totalsOf(subscribers, this.finished);
    return {
      state: this.state,
      runMs: Math.max(0, this.runMs),
      config: {
        name: this.config.name, file: this.config.file, description: this.config.description, nic: this.config.nic.name,
        nicDescription: describeNic(this.config.nic, this.config.filterTable), replication: this.config.nic.replication,
        filterTable: this.config.filterTable, recording: this.config.recording,
        durationMs: this.durationNs === null ? (this.lengthNs === null ? null : this.lengthNs / 1e6 / (this.speed || 1)) : this.durationNs / 1e6,
        loop: this.loop,
        assignedGroups: this.assignedGroups,
        plan: this.plan,
      },
      nic: { ...nicStatus, pid: this.nic?.pid ?? null, packetsPerSecond: this.lastRate.pps, messagesPerSecond: this.lastRate.mps },
      stacks,
      groups,
      subscribers,
      events: [...this.events],
      totals,
      isolation: { kind: this.isolation.kind, pid: this.isolation.pid, portOffset: this.isolation.portOffset, note: this.isolation.note },
      recoveryServer: this.recoveryServer ? { ...this.recoveryServer, counters: this.recoveryCounts } : null,
      dropsExplained: explainDrops({ subscribers, stacks, nic: nicStatus }, this.config.subscribers, (rcvbuf) => this.rooms.of(rcvbuf)),
      host: this.health.judge(this.labProcesses(), this.nicSeg!.lagSummary(), this.foreignDatagrams()),
      warnings: [...this.warnings],
      problems: this.problems.map((p) => ({ where: p.where, what: p.what })),
      error: this.error,
    };
  }

  private publishRegistry(s: LabSnapshot = this.snapshot()): void {
    if (!this.registry) return;
    this.registry.publish({
      labPid: this.labPid,
      config: this.config.file,
      nic: this.config.nic.name,
      replication: this.config.nic.replication,
      filterTable: this.config.filterTable,
      startedAt: new Date(this.startEpochMs).toISOString(),
      publishedAt: new Date().toISOString(),
      stacks: s.stacks.map((st) => ({
        id: st.id, name: st.name ?? '', segment: st.segment, pids: st.pids, live: st.live, rxPackets: st.rxPackets,
        sockets: st.sockets.map(({ interrupts: _i, ...so }) => so),
      })),
      filters: this.steering.filters.map((f) => ({ ...f })),
      refused: this.steering.refused.map((f) => ({ ...f })),
      groups: [...this.config.groups],
      isolation: { kind: this.isolation.kind, pid: this.isolation.pid, portOffset: this.isolation.portOffset, enter: [...this.isolation.enter] },
      members: this.members.map((m) => {
        const d = this.steering.decisions.get(m.id);
        return { stack: m.stack, subscriber: m.subscriber, pid: m.pid, group: m.group, path: d?.path ?? 'none', cause: d?.cause ?? null, state: memberState(d?.path) };
      }),
    });
  }

  // ---------------------------------------------------------------- teardown

  /** Stops every child and removes every segment. Safe to call more than once, from anywhere. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    clearInterval(this.snapshotTimer);
    for (const t of this.eventTimers) clearTimeout(t);
    const exits: Promise<void>[] = [];
    for (const s of this.subscribers) {
      if (!s.alive) continue;
      exits.push(new Promise((resolve) => s.child.once('exit', () => resolve())));
      this.sendSub(s, { type: 'stop' });
    }
    const child = this.nicChild;
    if (child && child.exitCode === null && child.signalCode === null) {
      exits.push(new Promise((resolve) => child.once('exit', () => resolve())));
      child.kill('SIGTERM');
    }
    const rchild = this.recoveryChild;
    if (rchild && rchild.exitCode === null && rchild.signalCode === null) {
      exits.push(new Promise((resolve) => rchild.once('exit', () => resolve())));
      if (rchild.connected) rchild.send({ type: 'stop' } satisfies ToServer, ignoreSendError);
      else rchild.kill('SIGTERM');
    }
    await withTimeout(Promise.all(exits), 2000, 'children did not stop').catch(() => {
      for (const s of this.subscribers) if (s.alive) s.child.kill('SIGKILL');
      this.nicChild?.kill('SIGKILL');
      this.recoveryChild?.kill('SIGKILL');
    });
    // The namespace goes with the lab.
    this.nsHolder?.kill('SIGKILL');
    if (this.startedOnCpus) setAffinity(this.startedOnCpus);
    // Every segment of this lab: stacks, the NIC's, the registry, latency counts.
    const prefix = segmentName(this.labPid, `${this.instance}.`);
    for (const name of listSegments(this.labPid)) if (name.startsWith(prefix)) unlinkSegment(name);
  }
}
