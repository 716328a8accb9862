/**
 * A lab's own network namespace (DESIGN §11): its own loopback, so that no other lab, no
 * `mdlab replay` and no tcpreplay on the host can reach its sockets. A namespace belongs to a
 * thread, so it is made by a small holder process (`unshare --net`, or with a user namespace
 * where this is not root), whose loopback is brought up, and every lab child is started inside
 * it (`nsenter --net=/proc/HOLDER/ns/net`) before Node loads. The holder follows the controller
 * (a parent-death signal, through setpriv) and the warden knows of it, so it never outlives the
 * lab. Where no namespace can be made, the lab shares the host's loopback and says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { udpSockets } from './socket-drops.js';

export interface Isolation {
  /**
   * netns: a network namespace of its own; userns: the same, inside a user namespace (not root);
   * ports: the host's loopback, on a free per-lab port base; shared: the host's loopback as it is.
   */
  kind: 'netns' | 'userns' | 'ports' | 'shared';
  /** Added to every group's port on the kernel path (ports isolation), else 0. */
  portOffset: number;
  /** The process whose namespace the lab's processes run in (null when shared). */
  pid: number | null;
  /** How to watch the lab's kernel path from outside, or why it is not isolated. */
  note: string;
  /** The command prefix that starts a process inside the namespace (empty when shared). */
  enter: string[];
}

/** Whether a command is installed (asked once per process: every lab start needs the answer). */
const found = new Map<string, boolean>();
function installed(cmd: string): boolean {
  let yes = found.get(cmd);
  if (yes === undefined) {
    // Looked up on PATH as a shell would, without a shell: four of those cost ~35 ms of every lab's start.
    yes = (process.env.PATH ?? '').split(delimiter).some((dir) => {
      if (!dir) return false;
      try {
        accessSync(join(dir, cmd), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    found.set(cmd, yes);
  }
  return yes;
}

/** Runs a short command to its end without holding the event loop; its exit status and stderr. */
function run(cmd: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (e) => resolve({ status: null, stderr: e.message }));
    child.once('close', (status) => resolve({ status, stderr }));
  });
}

const netOf = (pid: number | 'self') => {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
};

async function holder(args: string[]): Promise<ChildProcess | null> {
  const child = spawn('unshare', args, { stdio: 'ignore' });
  const mine = netOf('self');
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null || child.signalCode !== null) return null;
    const ns = child.pid ? netOf(child.pid) : null;
    if (ns && ns !== mine) return child;
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  return null;
}

/** Makes the lab's namespace, or says why it could not. `holderStarted` hears of the holder at once (for the warden). */
export async function isolate(ports: readonly number[], holderStarted: (pid: number) => void): Promise<{ isolation: Isolation; holder: ChildProcess | null }> {
  if (process.env.MDLAB_ISOLATION === 'shared') return { isolation: { kind: 'shared', portOffset: 0, pid: null, enter: [], note: 'MDLAB_ISOLATION=shared: the lab shares the host\'s loopback; other traffic to its groups reaches its sockets' }, holder: null };
  if (process.env.MDLAB_ISOLATION === 'ports') return { isolation: portBase(ports, 'MDLAB_ISOLATION=ports'), holder: null };
  const missing = ['unshare', 'nsenter', 'setpriv', 'ip'].filter((c) => !installed(c));
  if (missing.length > 0) return { isolation: portBase(ports, `no network namespace (${missing.join(', ')} not installed: util-linux, iproute2)`), holder: null };
  const sleeper = ['--', 'setpriv', '--pdeathsig', 'KILL', '--', 'sleep', 'infinity'];
  const attempts: { kind: 'netns' | 'userns'; args: string[]; enter: (pid: number) => string[] }[] = [
    { kind: 'netns', args: ['--net', ...sleeper], enter: (pid) => ['nsenter', `--net=/proc/${pid}/ns/net`, '--'] },
    { kind: 'userns', args: ['--user', '--map-root-user', '--net', ...sleeper], enter: (pid) => ['nsenter', `--user=/proc/${pid}/ns/user`, `--net=/proc/${pid}/ns/net`, '--preserve-credentials', '--'] },
  ];
  const why: string[] = [];
  for (const a of attempts) {
    const h = await holder(a.args);
    if (!h || !h.pid) {
      why.push(`unshare ${a.kind === 'netns' ? '--net' : '--user --net'} failed`);
      continue;
    }
    holderStarted(h.pid);
    const enter = a.enter(h.pid);
    const up = await run(enter[0], [...enter.slice(1), 'ip', 'link', 'set', 'lo', 'up']);
    if (up.status !== 0) {
      h.kill('SIGKILL');
      why.push(`ip link set lo up failed in the namespace: ${(up.stderr || '').trim().split('\n')[0]}`);
      continue;
    }
    const note = `its own network namespace (held by pid ${h.pid}); watch its kernel path from outside with: nsenter --net=/proc/${h.pid}/ns/net tshark -i lo -d udp.port==26400,moldudp64`;
    return { isolation: { kind: a.kind, portOffset: 0, pid: h.pid, enter, note }, holder: h };
  }
  return { isolation: portBase(ports, `no network namespace (${why.join('; ')})`), holder: null };
}

/** UDP ports something on this host has bound. */
function boundPorts(): Set<number> {
  return new Set(udpSockets().map((r) => r.port));
}

/**
 * Where no namespace can be made: the kernel path on the host's loopback, on a port base of the
 * lab's own (every group's port moved by one random offset, to ports nothing has bound), so that
 * other labs and replays of the recording's own ports do not reach its sockets. The payloads are
 * still the exchange's bytes; only the port differs, and the result says by how much.
 */
function portBase(ports: readonly number[], why: string): Isolation {
  const taken = boundPorts();
  for (let attempt = 0; attempt < 200; attempt++) {
    const offset = 1000 + Math.floor(Math.random() * 20000);
    if (ports.every((p) => p + offset <= 65535 && !taken.has(p + offset))) {
      const example = ports.length > 0 ? ` (${ports[0]} → ${ports[0] + offset})` : '';
      return { kind: 'ports', portOffset: offset, pid: null, enter: [], note: `${why}: the lab's kernel path uses the host's loopback on a port base of its own, every group's port + ${offset}${example}; traffic to the recording's own ports does not reach it` };
    }
  }
  return { kind: 'shared', portOffset: 0, pid: null, enter: [], note: `${why}, and no free port base: the lab shares the host's loopback; other traffic to its groups reaches its sockets` };
}
