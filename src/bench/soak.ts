/**
 * The soak figure: `configs/default.yaml` looped for a long while as a user runs it (the real
 * CLI, headless), sampling the resident memory of every process of the lab once a second: the
 * controller, the NIC and each subscriber. Growth is measured after a warm-up (the first fifth),
 * from each process's lowest RSS in the first third of the rest to its lowest in the last third.
 * The lowest, because a V8 process's RSS is a sawtooth: garbage promoted to the old generation
 * is collected only at a major GC, every ~100 s for a spinning subscriber here (heap used 6 ->
 * 15 MB, then back to 6), so a mean over a short window measured where the tooth stood, not what
 * the process kept. A leak per packet or per snapshot raises the floor, and shows.
 *
 * RSS also holds heap V8 has grown and not returned (a spinner's committed heap grows from ~9 to
 * ~14.5 MB and stays, its live heap flat at ~4.7 MB), so each subscriber's live heap, in use just
 * after each full GC (its result's liveHeap), is measured beside it the same way: a leak shows
 * there whatever V8's sizing does.
 */
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SoakResult {
  seconds: number;
  samples: number;
  /** Per process: its role, its lowest RSS (MB) early and late after the warm-up, and the growth (fraction). */
  processes: { role: string; startMb: number; endMb: number; growth: number }[];
  /** The largest growth of any lab process. */
  worstGrowth: number;
  /** Per subscriber with full GCs after the warm-up: its live heap early and late (MB), and the growth. */
  liveHeap: { name: string; samples: number; startMb: number; endMb: number; growth: number }[];
  /** The largest live-heap growth of any subscriber, or null when none collected often enough. */
  worstLiveHeapGrowth: number | null;
  balanced: boolean;
}

function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function childrenOf(pid: number): { pid: number; role: string }[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n').map((l) => l.trim()).filter(Boolean)
      .map((l) => ({ pid: Number(l.split(/\s+/)[0]), role: /nic-process/.test(l) ? 'nic' : /subscriber-process/.test(l) ? 'subscriber' : 'other' }))
      .filter((c) => c.role !== 'other');
  } catch {
    return [];
  }
}


/**
 * Growth of a live heap over a run: after the warm-up (the first fifth of the span of its
 * samples), the least in the first half of the samples to the least in the second. Null with
 * fewer than two samples after the warm-up.
 */
export function liveHeapGrowth(samples: readonly { atNs: number; bytes: number }[]): { samples: number; startBytes: number; endBytes: number; growth: number } | null {
  if (samples.length === 0) return null;
  const first = samples[0].atNs;
  const last = samples[samples.length - 1].atNs;
  const after = samples.filter((x) => x.atNs >= first + (last - first) / 5);
  if (after.length < 2) return null;
  const half = Math.floor(after.length / 2);
  const start = Math.min(...after.slice(0, half).map((x) => x.bytes));
  const end = Math.min(...after.slice(half).map((x) => x.bytes));
  return { samples: after.length, startBytes: start, endBytes: end, growth: (end - start) / start };
}

export async function soak(root: string, dir: string, seconds: number): Promise<SoakResult> {
  const config = join(dir, 'soak.yaml');
  const text = readFileSync(join(root, 'configs', 'default.yaml'), 'utf8').replace(/^recording: .*$/m, `recording: ${join(root, 'recordings', 'default.pcap')}`);
  writeFileSync(config, `${text.replace(/^(duration|loop): .*$/gm, '')}\nloop: true\nduration: ${seconds}s\n`);
  const json = join(dir, 'soak.json');
  const child = spawn(process.execPath, [join(root, 'bin', 'mdlab.js'), 'run', config, '--headless', '--quiet', '--json', json], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const series = new Map<number, { role: string; rss: number[] }>();
  const timer = setInterval(() => {
    const procs = [{ pid: child.pid!, role: 'controller' }, ...childrenOf(child.pid!)];
    for (const p of procs) {
      const rss = rssBytes(p.pid);
      if (rss === null) continue;
      const s = series.get(p.pid) ?? { role: p.role, rss: [] };
      s.rss.push(rss);
      series.set(p.pid, s);
    }
  }, 1000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  if (code !== 0 && code !== 1) throw new Error(`the soak run failed (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}`);
  const result = JSON.parse(readFileSync(json, 'utf8')) as { totals: { balanced: boolean }; subscribers: { name: string; liveHeap?: { atNs: number; bytes: number }[] | null }[] };
  const liveHeap = result.subscribers.flatMap((x) => {
    const g = liveHeapGrowth(x.liveHeap ?? []);
    return g ? [{ name: x.name, samples: g.samples, startMb: g.startBytes / 2 ** 20, endMb: g.endBytes / 2 ** 20, growth: g.growth }] : [];
  });
  const processes = [...series.values()].filter((s) => s.rss.length >= 5).map((s) => {
    const after = s.rss.slice(Math.floor(s.rss.length / 5));
    const third = Math.max(1, Math.floor(after.length / 3));
    const start = Math.min(...after.slice(0, third));
    const end = Math.min(...after.slice(-third));
    return { role: s.role, startMb: start / 2 ** 20, endMb: end / 2 ** 20, growth: (end - start) / start };
  });
  return {
    seconds,
    samples: Math.max(0, ...[...series.values()].map((s) => s.rss.length)),
    processes,
    worstGrowth: Math.max(0, ...processes.map((p) => p.growth)),
    liveHeap,
    worstLiveHeapGrowth: liveHeap.length > 0 ? Math.max(...liveHeap.map((x) => x.growth)) : null,
    balanced: result.totals.balanced,
  };
}
