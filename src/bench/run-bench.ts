/**
 * `npm run bench`: each bare floor and the same work through mdlab, in one run, repeated, with
 * the ratios. Floors run beside the lab's figures because this machine is shared and noisy: only
 * ratios compare across runs. Profiles: full (the figures), quick (under a minute: does it still
 * run?) and tiny (the test that keeps the bench from rotting).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostFacts, type HostFacts } from '../experiment/host.js';
import { writeEvenFeed } from './bench-feed.js';
import { dgramLatency, dgramThroughput, pinPlan, ringThroughput, shmLatency } from './floors.js';
import { bareNodeRss, labLatency, labMemory, labThroughput, nicProfile } from './lab-figures.js';
import { formatProfile, type ProfileSummary } from './profile-summary.js';
import { decodeCli, decodeRate, firstFrame, recordCost } from './micro.js';
import { formatPairs, liveVsModel, modelSpeed } from './model-figures.js';
import { calibrate } from '../model/calibrate.js';
import { soak } from './soak.js';
import { startHostSpeed, type HostSpeed } from './host-speed.js';
import { defaultRun } from './default-runs.js';
import { sockperfOneWay, sockperfVersion, tasksetAvailable } from './sockperf.js';
import { figure, type Figure } from './stats.js';
import { evaluateTargets, type Row } from './targets.js';

export interface BenchProfile {
  name: 'full' | 'quick' | 'tiny';
  reps: number;
  /** Paced latency runs: packets at `rate` per second, the first `warmupMs` left out. */
  latencyPackets: number;
  rate: number;
  warmupMs: number;
  /** Top-speed runs and bare ring: packets. */
  topPackets: number;
  dgramPackets: number;
  sockperfSeconds: number;
  /** The large synthetic recording for the memory figures: seconds of trading at 40 k msg/s (1 GB is about 200 s). */
  bigSeconds: number;
  recordSamples: number;
  dashboardReps: number;
  /** The soak: configs/default.yaml looped this long, every lab process's RSS sampled. */
  soakSeconds: number;
  /** Runs of configs/default.yaml on the host as it is (clean or not, and what the lab cost). */
  defaultRuns: number;
  /** Model mode's scale run: subscribers, and groups each joins (of 10,000). */
  modelSubscribers: number;
  modelGroupsEach: number;
}

export const PROFILES: Readonly<Record<BenchProfile['name'], BenchProfile>> = {
  full: { name: 'full', reps: 5, latencyPackets: 300_000, rate: 100_000, warmupMs: 500, topPackets: 2_000_000, dgramPackets: 300_000, sockperfSeconds: 5, bigSeconds: 210, recordSamples: 5_000_000, dashboardReps: 3, soakSeconds: 600, defaultRuns: 10, modelSubscribers: 1000, modelGroupsEach: 100 },
  quick: { name: 'quick', reps: 2, latencyPackets: 100_000, rate: 100_000, warmupMs: 300, topPackets: 300_000, dgramPackets: 50_000, sockperfSeconds: 1, bigSeconds: 3, recordSamples: 1_000_000, dashboardReps: 1, soakSeconds: 20, defaultRuns: 2, modelSubscribers: 1000, modelGroupsEach: 100 },
  tiny: { name: 'tiny', reps: 1, latencyPackets: 20_000, rate: 50_000, warmupMs: 100, topPackets: 20_000, dgramPackets: 5_000, sockperfSeconds: 1, bigSeconds: 1, recordSamples: 100_000, dashboardReps: 1, soakSeconds: 4, defaultRuns: 1, modelSubscribers: 50, modelGroupsEach: 10 },
};

export interface BenchResults {
  profile: BenchProfile;
  host: HostFacts & { sockperf: string | null; speed: HostSpeed };
  rows: Row[];
  /** Everything measured, repetition by repetition. */
  raw: Record<string, unknown>;
  seconds: number;
  /** Lab repetitions whose host was clean, of all lab repetitions. */
  labReps: { clean: number; total: number };
  /** Where the NIC's time per packet went at top speed (a sampled repetition of its own), or null if it could not be taken. */
  nicProfile: ProfileSummary | null;
}

export interface BenchOptions {
  /** The package root (where bin/mdlab.js and configs/ are). */
  root: string;
  log: (line: string) => void;
}

async function repeat<T>(n: number, what: string, log: (l: string) => void, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fn();
    // A lab repetition says whether the host was clean while it ran.
    const h = (r as { host?: { verdict: string; reasons: string[] } }).host;
    log(`  ${what} (${i + 1}/${n})${h ? `: host ${h.verdict}${h.reasons.length > 0 ? ` (${h.reasons[0]})` : ''}` : ''}`);
    out.push(r);
  }
  return out;
}

const µs = (ns: number): number => ns / 1e3;

/** A figure that needs an outside tool (sockperf, script(1)): without it, said and left out, not fatal. */
async function optional<T>(log: (l: string) => void, what: string, fn: () => Promise<T[]>): Promise<T[]> {
  try {
    return await fn();
  } catch (err) {
    log(`  ${what} left out: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
}

export async function runBench(p: BenchProfile, o: BenchOptions): Promise<BenchResults> {
  const started = Date.now();
  const hostSpeed = startHostSpeed();
  const dir = mkdtempSync(join(tmpdir(), 'mdlab-bench-'));
  const log = o.log;
  const raw: Record<string, unknown> = {};
  try {
    const paced = join(dir, 'paced.pcap');
    const top = join(dir, 'top.pcap');
    writeEvenFeed(paced, p.latencyPackets, p.rate);
    writeEvenFeed(top, p.topPackets, 1_000_000);
    const intervalNs = 1e9 / p.rate;
    const warmupNs = p.warmupMs * 1e6;

    log('latency: bare shared memory, mdlab bypass');
    const shm = await repeat(p.reps, 'bare shared-memory slot', log, () => shmLatency(p.latencyPackets, intervalNs, warmupNs));
    const bypass = await repeat(p.reps, 'mdlab bypass, spinning', log, () => labLatency(paced, 'bypass', p.warmupMs));
    log('latency: bare dgram, mdlab kernel path');
    const dgram = await repeat(p.reps, 'bare dgram multicast', log, () => dgramLatency(p.latencyPackets, intervalNs, warmupNs));
    const kernel = await repeat(p.reps, 'mdlab kernel path (kernelSocket: native, recvmmsg)', log, () => labLatency(paced, 'kernel', p.warmupMs));
    const kernelNode = await repeat(p.reps, 'mdlab kernel path (kernelSocket: node, dgram)', log, () => labLatency(paced, 'kernel', p.warmupMs, 'node'));
    const sockperf = sockperfVersion();
    const sp = sockperf ? await optional(log, 'sockperf', () => repeat(p.reps, `sockperf ${sockperf} ping-pong`, log, () => sockperfOneWay(p.sockperfSeconds, 10_000))) : [];
    const spLoad = sockperf ? await optional(log, 'sockperf', () => repeat(p.reps, `sockperf ${sockperf} under-load at ${p.rate} msg/s`, log, () => sockperfOneWay(p.sockperfSeconds, p.rate, 'ul'))) : [];
    const canPlace = sockperf !== null && pinPlan().consumer !== null && tasksetAvailable();
    const spPlaced = canPlace ? await optional(log, 'sockperf', () => repeat(p.reps, `sockperf ${sockperf} under-load at ${p.rate} msg/s, placed as the lab is`, log, () => sockperfOneWay(p.sockperfSeconds, p.rate, 'ul', true))) : [];
    if (!sockperf) log('  sockperf is not installed: no native reference (apt-get install sockperf)');
    else if (!canPlace) log('  sockperf is not placed as the lab is: that needs two CPUs and taskset (util-linux)');
    Object.assign(raw, { shm, bypass, dgram, kernel, kernelNode, sockperf: sp, sockperfLoad: spLoad, sockperfPlaced: spPlaced });

    log('throughput: bare ring, mdlab top speed');
    const ring = await repeat(p.reps, 'bare shared-memory ring', log, () => ringThroughput(p.topPackets, 100));
    const one = await repeat(p.reps, 'mdlab bypass, one subscriber', log, () => labThroughput(top, 1, 'bypass'));
    log('  the NIC under V8\'s sampling profiler, one more repetition (not measured)');
    const profiled = (await optional(log, 'the NIC profile', async () => [await nicProfile(top, join(dir, 'nic.cpuprofile'))]))[0] ?? null;
    if (profiled) for (const l of formatProfile('  NIC profile', profiled)) log(l);
    const four = await repeat(p.reps, 'mdlab bypass, four subscribers on one stack', log, () => labThroughput(top, 4, 'bypass'));
    const dgramRate = await repeat(p.reps, 'bare dgram receive', log, () => dgramThroughput(p.dgramPackets, 100));
    const kernelRate = await repeat(p.reps, 'mdlab kernel path', log, () => labThroughput(paced, 1, 'kernel'));
    Object.assign(raw, { ring, one, four, dgramRate, kernelRate, nicProfile: profiled });

    log('decode and recording costs');
    const decode = await repeat(p.reps, 'ITCH decode', log, () => decodeRate(top));
    const record = await repeat(p.reps, 'latency record', log, () => recordCost(p.recordSamples));
    Object.assign(raw, { decode, record });

    log(`memory: a ${p.bigSeconds} s synthetic day, replayed at top speed`);
    const big = join(dir, 'big.pcap');
    const synth = spawnSync(process.execPath, [join(o.root, 'bin', 'mdlab.js'), 'synth', '--seed', '7', '--duration', `${p.bigSeconds}s`, '--rate', '40000', '--channels', '8', '--start', '09:30:00', '--out', big], { encoding: 'utf8' });
    if (synth.status !== 0) throw new Error(`mdlab synth failed: ${synth.stderr.trim()}`);
    const bigBytes = statSync(big).size;
    log(`  ${(bigBytes / 1e9).toFixed(2)} GB written`);
    const memory = await labMemory(big);
    const bareNode = await repeat(p.reps, 'a bare Node process, started as the lab starts its children', log, bareNodeRss);
    log('  mdlab decode of it to /dev/null, text and JSON lines');
    const decodeText = await repeat(p.reps, 'mdlab decode', log, () => decodeCli(join(o.root, 'bin', 'mdlab.js'), big, false));
    const decodeJson = await repeat(p.reps, 'mdlab decode --json', log, () => decodeCli(join(o.root, 'bin', 'mdlab.js'), big, true));
    rmSync(big, { force: true });
    Object.assign(raw, { memory: { ...memory, recordingBytes: bigBytes, bareNodeRssMb: bareNode }, decodeText, decodeJson });

    log('dashboard: first frame');
    const frames = await optional(log, 'the dashboard figure', () => repeat(p.dashboardReps, 'mdlab run configs/default.yaml on a pty', log, () => firstFrame(join(o.root, 'bin', 'mdlab.js'), 'configs/default.yaml', o.root)));
    Object.assign(raw, { firstFrameSeconds: frames });

    log(`the default lab, ${p.defaultRuns} runs on the host as it is`);
    const defaults = await repeat(p.defaultRuns, 'mdlab run configs/default.yaml', log, async () => {
      const r = defaultRun(o.root, dir, 0, p.name === 'tiny' ? '1500ms' : '6s');
      return { ...r, host: { verdict: r.verdict, reasons: r.reasons } };
    });
    Object.assign(raw, { defaults });

    log('model mode: a host profile calibrated here, the simulation\'s speed at 1,000 subscribers, and each shipped config live and as a model');
    const calibration = await calibrate(join(o.root, 'recordings', 'default.pcap'), (l) => log(`  ${l.trim()}`), p.name === 'tiny' ? 0.1 : 1);
    const profileFile = join(dir, 'host-profile.json');
    writeFileSync(profileFile, `${JSON.stringify(calibration, null, 2)}\n`);
    const speed = await modelSpeed(o.root, dir, p.modelSubscribers, p.modelGroupsEach);
    log(`  fan-out: ${speed.fanout.deliveries.toLocaleString('en-US')} deliveries in ${speed.fanout.simSeconds.toFixed(2)} s; scale: ${speed.scale.subscribers} subscribers × ${p.modelGroupsEach} groups (${speed.scale.groups} in all) in ${speed.scale.wallSeconds.toFixed(1)} s, ${speed.scale.peakRssMb.toFixed(0)} MB`);
    const pairs = liveVsModel(o.root, dir, profileFile, p.name === 'tiny' ? '1s' : p.name === 'quick' ? '3s' : '6s', p.name === 'tiny' ? ['ef-name-trap.yaml'] : undefined);
    log(formatPairs(pairs));
    Object.assign(raw, { modelSpeed: speed, liveVsModel: pairs, calibration });

    log(`soak: configs/default.yaml looped for ${p.soakSeconds} s, every lab process's RSS`);
    const soaked = await soak(o.root, dir, p.soakSeconds);
    for (const x of soaked.processes) log(`  ${x.role}: ${x.startMb.toFixed(1)} -> ${x.endMb.toFixed(1)} MB (${(x.growth * 100).toFixed(2)}%)`);
    log(soaked.liveHeap.length > 0 ? '  live heap just after a full GC (least, first half to second half of them after warm-up):' : '  live heap: no subscriber made two full GCs after warm-up (a longer soak does)');
    for (const x of soaked.liveHeap) log(`  ${x.name}: ${x.startMb.toFixed(2)} -> ${x.endMb.toFixed(2)} MB over ${x.samples} full GCs (${(x.growth * 100).toFixed(2)}%)`);
    Object.assign(raw, { soak: soaked });

    const f = (xs: number[]): Figure => figure(xs);
    const rows = evaluateTargets({
      bypassP50: { floor: f(shm.map((x) => µs(x.latency?.p50 ?? NaN))), mdlab: f(bypass.map((x) => µs(x.sent.p50))) },
      bypassP99: { floor: f(shm.map((x) => µs(x.latency?.p99 ?? NaN))), mdlab: f(bypass.map((x) => µs(x.sent.p99))) },
      bypassScheduledP99: f(bypass.map((x) => µs(x.scheduled.p99))),
      kernelP50: { floor: f(dgram.map((x) => µs(x.latency?.p50 ?? NaN))), mdlab: f(kernel.map((x) => µs(x.sent.p50))) },
      kernelP99: { floor: f(dgram.map((x) => µs(x.latency?.p99 ?? NaN))), mdlab: f(kernel.map((x) => µs(x.sent.p99))) },
      kernelNodeP50: { floor: f(dgram.map((x) => µs(x.latency?.p50 ?? NaN))), mdlab: f(kernelNode.map((x) => µs(x.sent.p50))) },
      sockperfP50: sp.length > 0 ? f(sp.map((x) => µs(x.p50))) : null,
      sockperfLoadP50: spLoad.length > 0 ? f(spLoad.map((x) => µs(x.p50))) : null,
      sockperfPlacedP50: spPlaced.length > 0 ? f(spPlaced.map((x) => µs(x.p50))) : null,
      pacedRate: p.rate,
      ringOne: { floor: f(ring.map((x) => ((x.received ?? 0) * 1e9) / (x.elapsedNs ?? NaN))), mdlab: f(one.map((x) => x.perSubscriber[0])) },
      fourEach: f(four.map((x) => Math.min(...x.perSubscriber))),
      nicTopNsPerPacket: f(one.map((x) => x.nicNsPerPacket)),
      kernelRate: { floor: f(dgramRate.map((x) => ((x.received ?? 0) * 1e9) / (x.elapsedNs ?? NaN))), mdlab: f(kernelRate.map((x) => x.perSubscriber[0])) },
      decode: f(decode.map((x) => x.messagesPerSecond)),
      decodeText: f(decodeText.map((x) => x.messagesPerSecond)),
      decodeJson: f(decodeJson.map((x) => x.messagesPerSecond)),
      decodePeakRssMb: Math.max(...decodeText.map((x) => x.peakRssMb), ...decodeJson.map((x) => x.peakRssMb)),
      record: { floor: f(record.map((x) => x.hdrNs)), mdlab: f(record.map((x) => x.mdlabNs)) },
      nicRss: memory.nicBytes / 2 ** 20,
      subscriberRss: memory.subscriberBytes / 2 ** 20,
      bareNodeRss: f(bareNode),
      nicShmem: memory.nicShmem / 2 ** 20,
      subscriberShmem: memory.subscriberShmem / 2 ** 20,
      recordingGb: bigBytes / 1e9,
      firstFrame: f(frames),
      soakGrowth: soaked.worstGrowth * 100,
      soakLiveHeapGrowth: soaked.worstLiveHeapGrowth === null ? null : soaked.worstLiveHeapGrowth * 100,
      controllerCpu: f(defaults.map((x) => x.controllerCpuShare * 100)),
      nicCpuPerPacket: f(defaults.map((x) => x.nicCpuNsPerPacket / 1e3)),
      nicSystemPerPacket: f(defaults.map((x) => x.nicSystemNsPerPacket / 1e3)),
      defaultClean: { clean: defaults.filter((x) => x.verdict === 'clean').length, runs: defaults.length, lessonHeldInClean: defaults.filter((x) => x.verdict === 'clean').every((x) => x.lessonHeld) },
      soakSeconds: soaked.seconds,
      modelDeliveries: figure([speed.fanout.deliveries / speed.fanout.simSeconds, speed.scale.deliveries / speed.scale.simSeconds]),
      modelScale: { subscribers: speed.scale.subscribers, groupsEach: p.modelGroupsEach, groups: speed.scale.groups, wallSeconds: speed.scale.wallSeconds, peakRssMb: speed.scale.peakRssMb },
      liveVsModel: {
        configs: pairs.length,
        agree: pairs.filter((x) => x.pathsAgree && x.causesAgree && x.dropCausesAgree).length,
        p50Within: pairs.filter((x) => Object.values(x.p50).every((y) => y.within)).length,
        fair: pairs.filter((x) => x.liveHost === 'clean').length,
      },
      drops: {
        bypass: bypass.reduce((a, x) => a + x.dropped, 0),
        kernel: kernel.reduce((a, x) => a + x.dropped, 0),
        one: one.reduce((a, x) => a + x.dropped, 0),
        four: four.reduce((a, x) => a + x.dropped, 0),
        kernelRate: kernelRate.reduce((a, x) => a + x.dropped, 0),
      },
    });
    const labReps = [...bypass, ...kernel, ...one, ...four, ...kernelRate, ...defaults];
    const clean = labReps.filter((x) => x.host.verdict === 'clean').length;
    return { profile: p, host: { ...hostFacts(), sockperf, speed: hostSpeed() }, rows, raw, seconds: (Date.now() - started) / 1000, labReps: { clean, total: labReps.length }, nicProfile: profiled };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
