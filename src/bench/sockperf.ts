/**
 * sockperf, the native kernel reference, multicast on lo: ping-pong (one message in flight) and
 * under-load (a paced stream, every 100th message answered: the load the lab's latency run
 * puts on the kernel path), each percentile one-way (half the round trip). Only where sockperf
 * is installed; the bench says so otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { pinPlan } from './floors.js';

const GROUP = '239.100.9.2';
const PORT = 26498;
const LO = ['--mc-rx-if', '127.0.0.1', '--mc-tx-if', '127.0.0.1', '--mc-loopback-enable'];

export function sockperfVersion(): string | null {
  const r = spawnSync('sockperf', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return /version\s+(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

/** Whether taskset(1) is here, to place sockperf's two processes as the lab places its own. */
export function tasksetAvailable(): boolean {
  const r = spawnSync('taskset', ['-c', '0', 'true']);
  return !r.error && r.status === 0;
}

/**
 * `taskset -c CPU` before a command, or nothing. Placed, the server (the receiver) runs on the
 * CPU the bench gives the lab's subscriber and the bare floors' consumer, the client (the sender)
 * on the NIC's and the producer's. Left to the scheduler, the two may share a CPU, where a
 * wake-up is a hand-over on the same CPU, with no interrupt between CPUs: on this 2-core VM,
 * measured back to back, that halves sockperf's one-way p50 (9.4-11 µs free, 18-23 µs placed).
 */
function placedOn(cpu: number | null): string[] {
  return cpu === null ? [] : ['taskset', '-c', String(cpu)];
}

function command(cpu: number | null, args: string[]): [string, string[]] {
  const pre = placedOn(cpu);
  return pre.length > 0 ? [pre[0], [...pre.slice(1), 'sockperf', ...args]] : ['sockperf', args];
}

/**
 * One-way p50/p99 (ns) of sockperf ping-pong (`pp`) or under-load (`ul`) for `seconds` at `mps`
 * messages per second; `placed`: the server on the subscriber's CPU and the client on the NIC's
 * (needs taskset and two CPUs), as the lab's kernel-path run is placed.
 */
export async function sockperfOneWay(seconds: number, mps: number, mode: 'pp' | 'ul' = 'pp', placed = false): Promise<{ p50: number; p99: number; observations: number }> {
  const pins = placed ? pinPlan() : { producer: null, consumer: null };
  const [serverCmd, serverArgs] = command(pins.consumer, ['sr', '-i', GROUP, '-p', String(PORT), ...LO]);
  const server = spawn(serverCmd, serverArgs, { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const out = await new Promise<string>((resolve, reject) => {
      const [clientCmd, clientArgs] = command(pins.producer, [mode, '-i', GROUP, '-p', String(PORT), ...LO, '-t', String(seconds), `--mps=${mps}`, ...(mode === 'ul' ? ['--reply-every=100'] : [])]);
      const c = spawn(clientCmd, clientArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      c.stdout.on('data', (d: Buffer) => (text += d.toString()));
      c.stderr.on('data', (d: Buffer) => (text += d.toString()));
      c.on('error', reject);
      c.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`sockperf exited with ${code}: ${text.trim().split('\n').pop() ?? ''}`))));
    });
    const pct = (p: string): number => {
      const m = new RegExp(`percentile ${p} =\\s*([0-9.]+)`).exec(out);
      if (!m) throw new Error(`sockperf printed no ${p} percentile`);
      return Number(m[1]) * 1e3;
    };
    const obs = /Total (\d+) observations/.exec(out);
    return { p50: pct('50.000'), p99: pct('99.000'), observations: obs ? Number(obs[1]) : 0 };
  } finally {
    server.kill('SIGKILL');
  }
}
