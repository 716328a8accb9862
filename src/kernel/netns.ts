/**
 * A lab's own network namespace (DESIGN §11): its own loopback, so that no other lab, no
 * `mdlab replay` and no tcpreplay on the host can reach its sockets. A namespace belongs to a
 * thread, so it is made by a small holder process (`unshare --net`, or with a user namespace
 * where this is not root), whose loopback is brought up, and every lab child is started inside
 * it (`nsenter --net=/proc/HOLDER/ns/net`) before Node loads. The holder follows the controller
 * (a parent-death signal, through setpriv) and the warden knows of it, so it never outlives the
 * lab. Where no namespace can be made, the lab shares the host's loopback and says so.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';

export interface Isolation {
  /** netns: a network namespace of its own; userns: the same, inside a user namespace (not root); shared: the host's loopback. */
  kind: 'netns' | 'userns' | 'shared';
  /** The process whose namespace the lab's processes run in (null when shared). */
  pid: number | null;
  /** How to watch the lab's kernel path from outside, or why it is not isolated. */
  note: string;
  /** The command prefix that starts a process inside the namespace (empty when shared). */
  enter: string[];
}

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
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
export async function isolate(holderStarted: (pid: number) => void): Promise<{ isolation: Isolation; holder: ChildProcess | null }> {
  if (process.env.MDLAB_ISOLATION === 'shared') return { isolation: { kind: 'shared', pid: null, enter: [], note: 'MDLAB_ISOLATION=shared: the lab shares the host\'s loopback; other traffic to its groups reaches its sockets' }, holder: null };
  const missing = ['unshare', 'nsenter', 'setpriv', 'ip'].filter((c) => which(c) === null);
  if (missing.length > 0) return { isolation: { kind: 'shared', pid: null, enter: [], note: `no network namespace (${missing.join(', ')} not installed: util-linux, iproute2): the lab shares the host's loopback` }, holder: null };
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
    const up = spawnSync(enter[0], [...enter.slice(1), 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
    if (up.status !== 0) {
      h.kill('SIGKILL');
      why.push(`ip link set lo up failed in the namespace: ${(up.stderr || '').trim().split('\n')[0]}`);
      continue;
    }
    const note = `its own network namespace (held by pid ${h.pid}); watch its kernel path from outside with: nsenter --net=/proc/${h.pid}/ns/net tshark -i lo -d udp.port==26400,moldudp64`;
    return { isolation: { kind: a.kind, pid: h.pid, enter, note }, holder: h };
  }
  return { isolation: { kind: 'shared', pid: null, enter: [], note: `no network namespace (${why.join('; ')}): the lab shares the host's loopback; other traffic to its groups reaches its sockets` }, holder: null };
}
