/**
 * The bench's model-mode figures (DESIGN §12): how fast the simulation runs, at what memory, at
 * 1,000 subscribers; and each shipped config run live and as a model with a host profile
 * calibrated here, side by side: paths, causes and drop causes must agree, p50 per path within
 * ±30%. A live run on a contended host is no fair comparison, and the table says so.
 */
import { spawnSync } from 'node:child_process';
import { runWatched, type Watched } from './peak-rss.js';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabSnapshot } from '../experiment/snapshot.js';

export interface ModelSpeed {
  deliveries: number;
  simSeconds: number;
  wallSeconds: number;
  peakRssMb: number;
  subscribers: number;
  groups: number;
}

/** Runs mdlab, polling its peak RSS (VmHWM) as it goes. */
function run(root: string, args: string[]): Promise<Watched> {
  return runWatched([join(root, 'bin', 'mdlab.js'), ...args], { cwd: root });
}

function runScript(root: string, args: string[]): Promise<Watched> {
  return runWatched(args, { cwd: root });
}

function speedOf(r: Watched, subscribers: number, groups: number): ModelSpeed {
  const m = /model run: ([\d,]+) deliveries simulated in ([\d.]+) s/.exec(r.stderr);
  if (r.status !== 0 && r.status !== 1) throw new Error(`model run failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
  return { deliveries: m ? Number(m[1].replace(/,/g, '')) : NaN, simSeconds: m ? Number(m[2]) : NaN, wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb, subscribers, groups };
}

/** 1,000 handlers on one group (the fan-out), and 1,000 subscribers × 100 groups out of 10,000. */
export async function modelSpeed(root: string, dir: string, handlers: number, groupsEach: number): Promise<{ fanout: ModelSpeed; scale: ModelSpeed }> {
  const recording = join(root, 'recordings', 'default.pcap');
  const fanout = join(dir, 'model-fanout.yaml');
  writeFileSync(fanout, `recording: ${JSON.stringify(recording)}\nmodel: { profile: ef10-onload, cores: ${handlers + 1} }\nnic: { model: sfn6122f }\nsubscribers:\n  - name: h\n    replicas: ${handlers}\n    groups: [239.100.1.1:26400]\n    rcvbuf: 8388608\n    env: { EF_POLL_USEC: 0 }\n`);
  const f = speedOf(await run(root, ['run', fanout, '--model', '--headless']), handlers, 1);
  // Groups 239.100.1.1-4 carry the recording's traffic; the rest, up to 10,000, only memberships.
  const pool = 10_000;
  const group = (i: number) => (i < 4 ? `239.100.1.${i + 1}:26400` : `239.101.${Math.floor(i / 250)}.${(i % 250) + 1}:26400`);
  const subscribers = Array.from({ length: handlers }, (_, s) => ({
    name: `s${s}`,
    groups: Array.from({ length: groupsEach }, (_, k) => group(k < 4 ? k : 4 + ((s * groupsEach + k) % (pool - 4)))),
    env: { EF_NAME: 'feed', EF_POLL_USEC: 0 },
  }));
  // Too large for a config file (the CLI refuses those over 1 MB): the bench's child validates it as the CLI would.
  const scale = join(dir, 'model-scale.json');
  writeFileSync(scale, JSON.stringify({ recording, model: { profile: 'ef10-onload', cores: 64 }, nic: { model: 'x2522' }, subscribers }));
  const r = await runScript(root, [join(root, 'dist', 'bench', 'model-scale-child.js'), scale, 'ef10-onload']);
  if (r.status !== 0) throw new Error(`model scale run failed: ${r.stderr.trim().split('\n').pop()}`);
  const x = JSON.parse(r.stdout) as { deliveries: number; simMs: number; memberships: number };
  const used = new Set(subscribers.flatMap((s) => s.groups)).size;
  return { fanout: f, scale: { deliveries: x.deliveries, simSeconds: x.simMs / 1e3, wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb, subscribers: handlers, groups: used } };
}

export interface PairRow {
  config: string;
  liveHost: string;
  pathsAgree: boolean;
  causesAgree: boolean;
  dropCausesAgree: boolean;
  /** Per path: live p50 and model p50 (µs, from the NIC send), and whether within ±30%. */
  p50: Record<string, { live: number; model: number; within: boolean }>;
  ratio: { live: number; model: number; within: boolean } | null;
  notes: string[];
}

function medianP50(s: LabSnapshot, path: 'bypass' | 'kernel'): number {
  const xs = s.subscribers.flatMap((sub) => sub.memberships.map((m) => m.latency[path].total.sent)).filter((l) => l.count > 0).map((l) => l.p50).sort((a, b) => a - b);
  return xs.length === 0 ? NaN : xs[Math.floor((xs.length - 1) / 2)] / 1e3;
}

const within = (a: number, b: number) => Number.isFinite(a) && Number.isFinite(b) && b > 0 && Math.abs(a - b) / b <= 0.3;

/** Each shipped config, live (duration D) and as a model with the given profile file. */
export function liveVsModel(root: string, dir: string, profile: string, duration: string, only?: readonly string[]): PairRow[] {
  const rows: PairRow[] = [];
  for (const file of readdirSync(join(root, 'configs')).filter((f) => f.endsWith('.yaml') && (!only || only.includes(f))).sort()) {
    const config = join('configs', file);
    const liveJson = join(dir, `live-${file}.json`);
    const modelJson = join(dir, `model-${file}.json`);
    const live = spawnSync(process.execPath, [join(root, 'bin', 'mdlab.js'), 'run', config, '--headless', '--quiet', '--duration', duration, '--json', liveJson], { cwd: root, encoding: 'utf8' });
    const model = spawnSync(process.execPath, [join(root, 'bin', 'mdlab.js'), 'run', config, '--model', '--quiet', '--profile', profile, '--duration', duration, '--json', modelJson], { cwd: root, encoding: 'utf8' });
    if (live.status !== 0 && live.status !== 1) throw new Error(`live ${config}: ${live.stderr.trim().split('\n').pop()}`);
    if (model.status !== 0 && model.status !== 1) throw new Error(`model ${config}: ${model.stderr.trim().split('\n').pop()}`);
    const l = JSON.parse(readFileSync(liveJson, 'utf8')) as LabSnapshot;
    const m = JSON.parse(readFileSync(modelJson, 'utf8')) as LabSnapshot;
    const key = (s: LabSnapshot, f: (x: LabSnapshot['subscribers'][number]['memberships'][number]) => string) => s.subscribers.flatMap((sub) => sub.memberships.filter((x) => x.active).map((x) => `${sub.name}@${x.group}=${f(x)}`)).sort().join(' ');
    const causes = (x: LabSnapshot['subscribers'][number]['memberships'][number]) => Object.entries(x.account.dropped).filter(([, n]) => (n ?? 0) > 0).map(([c]) => c).filter((c) => c !== 'unread').sort().join('+') || '-';
    const p50: PairRow['p50'] = {};
    for (const path of ['bypass', 'kernel'] as const) {
      const a = medianP50(l, path);
      const b = medianP50(m, path);
      if (Number.isFinite(a) || Number.isFinite(b)) p50[path] = { live: a, model: b, within: within(b, a) };
    }
    const lr = medianP50(l, 'kernel') / medianP50(l, 'bypass');
    const mr = medianP50(m, 'kernel') / medianP50(m, 'bypass');
    const notes: string[] = [];
    if (l.host.verdict === 'contended') notes.push(`the live run was contended (${l.host.reasons[0] ?? 'see its host verdict'}): not a fair comparison`);
    if (m.warnings.length > 0) notes.push(...m.warnings.map((w) => `model: ${w}`));
    rows.push({
      config: file, liveHost: l.host.verdict,
      pathsAgree: key(l, (x) => x.path) === key(m, (x) => x.path),
      causesAgree: key(l, (x) => x.cause ?? '-') === key(m, (x) => x.cause ?? '-'),
      dropCausesAgree: key(l, causes) === key(m, causes),
      p50, ratio: Number.isFinite(lr) && Number.isFinite(mr) ? { live: lr, model: mr, within: within(mr, lr) } : null, notes,
    });
  }
  return rows;
}

export function formatPairs(rows: readonly PairRow[]): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '-');
  const lines = ['Live against model (host profile calibrated here; p50 µs from the NIC send, model within ±30% marked ok):'];
  for (const r of rows) {
    const p = Object.entries(r.p50).map(([path, x]) => `${path} ${f(x.live)} / ${f(x.model)} ${x.within ? 'ok' : 'OFF'}`).join(', ');
    const ratio = r.ratio ? `; kernel/bypass ${f(r.ratio.live)} / ${f(r.ratio.model)} ${r.ratio.within ? 'ok' : 'OFF'}` : '';
    lines.push(`  ${r.config.padEnd(28)} live ${r.liveHost.padEnd(9)} paths ${r.pathsAgree ? 'same' : 'DIFFER'}, causes ${r.causesAgree ? 'same' : 'DIFFER'}, drop causes ${r.dropCausesAgree ? 'same' : 'DIFFER'}; ${p}${ratio}`);
    for (const n of r.notes) lines.push(`    ${n}`);
  }
  return lines.join('\n');
}
