/** The bench's table on stdout: figure, floor, mdlab (median [min..max]), ratio, target, met. */
import { formatHostSpeed } from './host-speed.js';
import type { BenchResults } from './run-bench.js';
import type { Figure } from './stats.js';
import { formatProfile } from './profile-summary.js';
import { BYPASS_P99_TARGET_US, SUBSCRIBER_RSS_TARGET_MB } from './targets.js';

function num(x: number, unit: string): string {
  if (!Number.isFinite(x)) return '-';
  if (unit === 'pkt/s' || unit === 'msg/s') return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`;
  if (unit === 's') return x.toFixed(2);
  if (x >= 1000) return Math.round(x).toLocaleString('en-US');
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function cell(f: Figure | null, unit: string): string {
  if (!f) return '';
  if (f.runs.length <= 1 || f.min === f.max) return num(f.median, unit);
  return `${num(f.median, unit)} [${num(f.min, unit)}..${num(f.max, unit)}]`;
}

/**
 * What the floors say of a missed target, under the table: how much of the subscriber's memory
 * Node itself and its ring take, and where the bare slot's own p99 is above the target in every
 * repetition (then no reader could meet it on this host).
 */
function floorNotes(r: BenchResults): string[] {
  const notes: string[] = [];
  const sub = r.rows.find((x) => x.id === 'memory.subscriber');
  const ring = (r.raw.memory as { subscriberShmem?: number } | undefined)?.subscriberShmem;
  if (sub?.floor && sub.met === false && ring !== undefined) {
    const node = sub.floor.median;
    const ringMb = ring / 2 ** 20;
    notes.push(`subscriber peak RSS: a bare Node process is ${num(node, 'MB')} MB of it and its ring ${num(ringMb, 'MB')} MB, which leaves ${num(SUBSCRIBER_RSS_TARGET_MB - node - ringMb, 'MB')} MB of the ${SUBSCRIBER_RSS_TARGET_MB} MB target for mdlab's code, heap and buffers (it used ${num(sub.mdlab.median - node - ringMb, 'MB')})`);
  }
  const p99 = r.rows.find((x) => x.id === 'latency.bypass.p99');
  if (!p99?.floor || !(p99.floor.min > BYPASS_P99_TARGET_US)) return notes;
  return [...notes, `bypass p99: the bare shared-memory slot's own p99, every packet measured, was ${cell(p99.floor, 'µs')} µs, above the ${BYPASS_P99_TARGET_US} µs target in every repetition: its two processes spin alone and still wait that long, so on this host the host decides this figure, not the lab`];
}

export function formatBench(r: BenchResults): string {
  const head = ['figure', 'unit', 'floor', 'mdlab', 'ratio', 'target', 'met'];
  const body = r.rows.map((x) => [
    x.what,
    x.unit,
    x.floor ? `${cell(x.floor, x.unit)} (${x.floorWhat})` : '',
    cell(x.mdlab, x.unit),
    x.ratio === null ? '' : `${x.ratio.toFixed(2)}×`,
    x.target ?? '',
    x.met === null ? '' : x.met ? 'met' : 'MISSED',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const h = r.host;
  return [
    `mdlab bench (${r.profile.name}: ${r.profile.reps} repetitions, median [min..max]) · ${h.cpuModel} × ${h.cpus} · Node ${h.node} · sockperf ${h.sockperf ?? 'not installed'}`,
    `latency at ${(r.profile.rate / 1e3).toFixed(0)} k pkt/s paced, the first ${r.profile.warmupMs} ms of each run left out as warm-up (as sockperf does)`,
    '',
    line(head),
    ...body.map(line),
    ...floorNotes(r),
    '',
    ...(r.nicProfile ? ['', ...formatProfile('NIC at top speed, where its time per packet goes', r.nicProfile)] : []),
    '',
    formatHostSpeed(h.speed),
    `host: ${r.labReps.clean} of ${r.labReps.total} lab repetitions ran on a clean host${r.labReps.clean < r.labReps.total ? ' (the others\' figures are partly the host\'s: see the log and results.json)' : ''}`,
    `${r.rows.filter((x) => x.met === true).length} of ${r.rows.filter((x) => x.met !== null).length} targets met · ${r.seconds.toFixed(0)} s`,
  ].join('\n');
}
