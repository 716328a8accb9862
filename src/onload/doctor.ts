/**
 * `mdlab doctor`: why a real host's multicast sockets are in the kernel. It rebuilds the host's
 * memberships from its onload_stackdump text and hands them to the same pure fallback core the
 * lab runs (fallback.ts, path-events.ts), so a diagnosis uses the lab's rules, causes and fixes.
 * Pure: a parsed dump in, plain data out.
 */
import type { NicModel } from '../nic/models.js';
import { CAUSE_DESCRIPTIONS, list, pathEvents } from './path-events.js';
import { decide, EMPTY_STEERING, type Cause, type Member } from './fallback.js';
import type { DumpSocket, DumpStack, HostDump } from './dump-parse.js';

export type FindingKind = 'kernel-path' | 'no-traffic' | 'unexplained-kernel' | 'oflow-drop' | 'memory-pressure' | 'handover';

export interface Finding {
  kind: FindingKind;
  group: string | null;
  /** mdlab's cause name (DESIGN §2), or the Onload counter the finding rests on. */
  cause: Cause | 'oflow-drop' | 'memory-pressure' | 'handover' | null;
  stacks: { id: number; name: string; pids: number[] }[];
  /** Sockets as Onload names them (stack:socket), with their os= counts. */
  sockets: { id: string; os: number; osPercent: number; oflowDrop: number }[];
  /** Packets it cost: those that came through the kernel (os=), or were dropped. */
  packets: number;
  message: string;
  fix: string | null;
}

export interface Diagnosis {
  nic: { mcastReplicate: number | null; replication: boolean; inferred: boolean };
  stacks: { id: number; name: string; pids: number[]; sockets: number }[];
  groups: { group: string; stacks: number[]; kernel: boolean }[];
  findings: Finding[];
  /** Nothing to fix: every multicast socket reads by kernel bypass, nothing dropped. */
  healthy: boolean;
  notes: string[];
  input: { sections: string[]; lines: number; skipped: number; skippedExamples: string[] };
}

function isMulticast(local: string): boolean {
  const first = Number(local.split('.')[0]);
  return first >= 224 && first <= 239;
}

function label(s: DumpStack): string {
  return s.name !== '' ? s.name : s.pids.length > 0 ? `pid ${s.pids[0]}` : `stack ${s.id}`;
}

function stackText(s: DumpStack): string {
  return `stack ${s.id}${s.name ? ` ${s.name}` : ''} (pid${s.pids.length === 1 ? '' : 's'} ${s.pids.join(',') || 'unknown'})`;
}

const HANDOVERS: Record<string, string> = {
  udp_handover_socket: 'UDP sockets handed to the kernel at socket(): EF_DONT_ACCELERATE=1, or EF_UDP=0, for this process',
  udp_handover_bind: 'UDP sockets handed to the kernel at bind(): no hardware filter could be had (the filter table is full, EF_NO_FAIL=1)',
  udp_handover_connect: 'UDP sockets handed to the kernel at connect(): the destination is not reachable through an accelerated interface',
  udp_handover_setsockopt: 'UDP sockets handed to the kernel at setsockopt(): an option Onload does not accelerate was set on them',
  udp_bind_no_filter: 'bind() found too few filters available, so the socket was handed to the kernel',
};

export function diagnose(d: HostDump): Diagnosis {
  const notes: string[] = [];
  const socketsOf = new Map<string, DumpSocket>();
  for (const s of d.stacks) for (const so of s.sockets) socketsOf.set(`${so.stack}:${so.socket}`, so);

  // Which sockets joined which group: the filters' member lines, and a socket bound to a group.
  const joined = new Map<string, Set<string>>(); // group -> stack:socket
  const join = (group: string, id: string) => {
    let set = joined.get(group);
    if (!set) joined.set(group, (set = new Set()));
    set.add(id);
  };
  for (const f of d.filters?.filters ?? []) {
    for (const m of f.members) join(f.group, `${m.stack}:${m.socket}`);
    if (f.members.length === 0) join(f.group, `${f.stack}:?`);
  }
  for (const so of socketsOf.values()) if (isMulticast(so.local)) join(so.local, `${so.stack}:${so.socket}`);

  const stackById = new Map(d.stacks.map((s) => [s.id, s]));
  const stackOf = (id: string) => Number(id.split(':')[0]);

  // The NIC: replication from mcast_replicate, else inferred from what the host shows.
  let replication: boolean;
  let inferred = false;
  const mcastReplicate = d.filters?.mcastReplicate ?? null;
  if (mcastReplicate !== null) replication = mcastReplicate !== 0;
  else {
    inferred = true;
    const conflictSeen = [...joined.entries()].some(([, ids]) => new Set([...ids].map(stackOf)).size >= 2 && [...ids].every((id) => (socketsOf.get(id)?.os ?? 0) > 0));
    replication = !conflictSeen;
    notes.push(`mcast_replicate is not in the input (add the output of \`onload_stackdump filters\`): taken as ${replication ? 'a NIC that replicates' : 'a NIC that cannot replicate'} from what the sockets show`);
  }
  // A full filter table shows as filters that could be installed and are not.
  const installed = (d.filters?.filters ?? []).filter((f) => f.hwports[2] !== 0);
  const refusedForRoom = (d.filters?.filters ?? []).filter((f) => f.hwports[0] !== 0 && f.hwports[1] !== 0 && f.hwports[2] === 0);
  const filterTable = refusedForRoom.length > 0 ? installed.length : 1 << 20;
  const nic: NicModel = {
    name: `host NIC (mcast_replicate=${mcastReplicate ?? '?'})`,
    replication,
    filterTable,
    offload: false,
    description: replication ? 'this host\'s NIC, which replicates multicast' : 'this host\'s NIC, which cannot replicate multicast',
  };

  // Members for the fallback core, in the order the host lists its stacks and sockets.
  const members: Member[] = [];
  const memberSocket = new Map<number, string>();
  for (const [group, ids] of [...joined.entries()].sort()) {
    for (const id of [...ids].sort()) {
      const st = stackById.get(stackOf(id)) ?? { id: stackOf(id), name: '', pids: [], sockets: [], stats: {} };
      const m: Member = { id: members.length, subscriber: label(st), pid: st.pids[0] ?? 0, group, stack: st.id, stackName: st.name || null, kernelReason: null };
      members.push(m);
      memberSocket.set(m.id, id);
    }
  }
  // Kernel sockets (ss -uamp) of processes in no stack, on a group: not Onload.
  const stackPids = new Set(d.stacks.flatMap((s) => s.pids));
  for (const k of d.kernelSockets) {
    if (k.pid === null || stackPids.has(k.pid) || !isMulticast(k.local) || !joined.has(k.local)) continue;
    members.push({ id: members.length, subscriber: k.process ? `${k.process} (pid ${k.pid})` : `pid ${k.pid}`, pid: k.pid, group: k.local, stack: null, stackName: null, kernelReason: 'not-onload' });
  }
  const previous = installed.map((f) => ({ group: f.group, stack: f.stack }));
  const steering = decide(nic, filterTable, members, previous);
  const events = pathEvents({ nic, filterTable, atMs: 0 }, EMPTY_STEERING, steering, members, []);

  const findings: Finding[] = [];
  const explained = new Set<string>();
  const socketRows = (ids: string[]) => ids.map((id) => {
    const so = socketsOf.get(id);
    return { id, os: so?.os ?? 0, osPercent: so?.osPercent ?? 0, oflowDrop: so?.oflowDrop ?? 0 };
  });
  for (const e of events) {
    if (e.cause === null || (e.path !== 'kernel' && e.path !== 'lost')) continue;
    const ms = members.filter((m) => m.group === e.group && e.subscribers.some((s) => s.name === m.subscriber && s.stack === m.stack));
    const ids = ms.map((m) => memberSocket.get(m.id)).filter((x): x is string => x !== undefined && !x.endsWith(':?'));
    for (const id of ids) explained.add(id);
    const stacks = [...new Set(ms.map((m) => m.stack).filter((x): x is number => x !== null))].map((id) => stackById.get(id)!).filter(Boolean);
    const rows = socketRows(ids);
    const packets = rows.reduce((n, r) => n + r.os, 0);
    let message: string;
    if (e.cause === 'mcast-conflict') {
      message = `${list(stacks.map(stackText))} joined ${e.group}; this NIC (mcast_replicate=${mcastReplicate ?? '?'}) cannot replicate multicast, so no filter is installed and every member reads through its kernel socket`;
    } else if (e.cause === 'filter-table-full') {
      message = `${list(stacks.map(stackText))} on ${e.group}: no room left in the NIC's filter table (${installed.length} filters installed, this one installable but not installed), so the socket stays in the kernel (EF_NO_FAIL=1)`;
    } else {
      message = `${e.group}: ${CAUSE_DESCRIPTIONS[e.cause]} (${e.message})`;
    }
    const igmp = d.igmp.filter((g) => g.group === e.group.split(':')[0]).map((g) => g.device);
    if (e.path === 'kernel' && igmp.length > 0) message += `; the kernel has joined it on ${[...new Set(igmp)].join(', ')} (/proc/net/igmp)`;
    findings.push({ kind: e.path === 'lost' ? 'no-traffic' : 'kernel-path', group: e.group, cause: e.cause, stacks: stacks.map((s) => ({ id: s.id, name: s.name, pids: s.pids })), sockets: rows, packets, message, fix: e.fix });
  }
  // Sockets the core would accelerate that the host shows reading through the kernel.
  for (const so of socketsOf.values()) {
    const id = `${so.stack}:${so.socket}`;
    if (so.os === 0 || explained.has(id)) continue;
    const groups = [...joined.entries()].filter(([, ids]) => ids.has(id)).map(([g]) => g);
    const st = stackById.get(so.stack)!;
    findings.push({
      kind: 'unexplained-kernel', group: groups[0] ?? null, cause: null, stacks: [{ id: st.id, name: st.name, pids: st.pids }], sockets: socketRows([id]), packets: so.os,
      message: `socket ${id} (lcl=${so.local}) read ${so.os} packets (${so.osPercent}%) through the kernel${groups.length ? ` on ${groups.join(', ')}` : ''}, though its filters do not explain it${groups.length ? '' : ' (no filter names its group: add `onload_stackdump filters`)'}`,
      fix: 'check this process for EF_MCAST_RECV=0, EF_DONT_ACCELERATE=1, a join on an interface Onload does not accelerate, or a handover (udp_handover_* in stats)',
    });
  }
  // Drops at the sockets.
  for (const so of socketsOf.values()) {
    const st = stackById.get(so.stack)!;
    const id = `${so.stack}:${so.socket}`;
    const group = isMulticast(so.local) ? so.local : [...joined.entries()].find(([, ids]) => ids.has(id))?.[0] ?? null;
    if (so.oflowDrop > 0) {
      findings.push({
        kind: 'oflow-drop', group, cause: 'oflow-drop', stacks: [{ id: st.id, name: st.name, pids: st.pids }], sockets: socketRows([id]), packets: so.oflowDrop,
        message: `socket ${id}${group ? ` on ${group}` : ''} dropped ${so.oflowDrop} packets (${so.oflowPercent}%) because its receive queue was full (oflow_drop): the application read more slowly than packets came (q_max_pkts=${so.qMaxPkts})`,
        fix: 'read faster (spin: EF_POLL_USEC, less work per packet), or a larger receive queue (SO_RCVBUF, EF_UDP_RCVBUF_MAX)',
      });
    }
    if (so.memDrop > 0) {
      findings.push({
        kind: 'memory-pressure', group, cause: 'memory-pressure', stacks: [{ id: st.id, name: st.name, pids: st.pids }], sockets: socketRows([id]), packets: so.memDrop,
        message: `socket ${id}${group ? ` on ${group}` : ''} dropped ${so.memDrop} packets for want of packet buffers (mem_drop)`,
        fix: 'more packet buffers for the stack (EF_MAX_PACKETS), or read faster',
      });
    }
  }
  for (const s of d.stacks) {
    const pressure = s.stats.memory_pressure_drops ?? 0;
    if (pressure > 0 && !findings.some((f) => f.kind === 'memory-pressure' && f.stacks.some((x) => x.id === s.id))) {
      findings.push({ kind: 'memory-pressure', group: null, cause: 'memory-pressure', stacks: [{ id: s.id, name: s.name, pids: s.pids }], sockets: [], packets: pressure, message: `stack ${s.id} dropped ${pressure} packets under memory pressure (memory_pressure_drops)`, fix: 'more packet buffers for the stack (EF_MAX_PACKETS)' });
    }
    for (const [name, what] of Object.entries(HANDOVERS)) {
      const n = s.stats[name] ?? 0;
      if (n === 0) continue;
      findings.push({
        kind: 'handover', group: null, cause: 'handover', stacks: [{ id: s.id, name: s.name, pids: s.pids }], sockets: [], packets: 0,
        message: `stack ${s.id}: ${name}: ${n}: ${what}`,
        fix: name === 'udp_handover_bind' || name === 'udp_bind_no_filter' ? 'fewer filters (groups × stacks: share a stack with EF_NAME), or a NIC with a larger filter table' : null,
      });
    }
  }
  if (d.stacks.length === 0) notes.push('no stack in the input: give `onload_stackdump lots` for sockets and their counters');
  if (!d.filters) notes.push('no filter dump in the input: `onload_stackdump filters` shows which stacks joined each group and whether the NIC replicates');

  const groups = [...joined.entries()].sort().map(([group, ids]) => ({
    group,
    stacks: [...new Set([...ids].map(stackOf))].sort((a, b) => a - b),
    kernel: members.filter((m) => m.group === group).some((m) => steering.decisions.get(m.id)?.path === 'kernel'),
  }));
  return {
    nic: { mcastReplicate, replication, inferred },
    stacks: d.stacks.map((s) => ({ id: s.id, name: s.name, pids: s.pids, sockets: s.sockets.length })),
    groups,
    findings,
    healthy: findings.length === 0,
    notes,
    input: { sections: d.sections, lines: d.lines, skipped: d.skipped, skippedExamples: d.skippedExamples },
  };
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** The diagnosis for people. */
export function formatDiagnosis(x: Diagnosis): string {
  const out: string[] = [];
  const sockets = x.stacks.reduce((n, s) => n + s.sockets, 0);
  out.push(`mdlab doctor: ${x.stacks.length} stack${x.stacks.length === 1 ? '' : 's'}, ${sockets} UDP socket${sockets === 1 ? '' : 's'}, ${x.groups.length} multicast group${x.groups.length === 1 ? '' : 's'}; NIC mcast_replicate=${x.nic.mcastReplicate ?? '?'} (${x.nic.replication ? 'replicates multicast' : 'cannot replicate multicast'}${x.nic.inferred ? ', inferred' : ''})`);
  out.push(`read: ${x.input.sections.join(', ')} (${fmt(x.input.lines)} lines; ${fmt(x.input.skipped)} skipped as not needed)`);
  for (const n of x.notes) out.push(`note: ${n}`);
  out.push('');
  if (x.healthy) {
    out.push('nothing to fix: every multicast socket reads by kernel bypass, and no socket dropped packets');
    return `${out.join('\n')}\n`;
  }
  for (const f of x.findings) {
    const head = f.kind === 'kernel-path' ? `${f.group} arrives through the kernel (${f.cause}): ${fmt(f.packets)} packets so far (os=)`
      : f.kind === 'no-traffic' ? `${f.group}: a socket receives nothing (${f.cause})`
        : f.kind === 'unexplained-kernel' ? `${f.group ?? 'a socket'} arrives through the kernel: ${fmt(f.packets)} packets (os=)`
          : f.kind === 'oflow-drop' ? `${f.group ?? 'a socket'}: ${fmt(f.packets)} packets dropped (oflow_drop)`
            : f.kind === 'memory-pressure' ? `${f.group ?? `stack ${f.stacks[0]?.id}`}: ${fmt(f.packets)} packets dropped (memory pressure)`
              : `handover (${f.message.split(': ')[1]})`;
    out.push(head);
    out.push(`  why: ${f.message}`);
    if (f.fix) out.push(`  fix: ${f.fix}`);
    if (f.sockets.length > 0) out.push(`  sockets: ${f.sockets.map((s) => `${s.id} os=${fmt(s.os)} (${s.osPercent}%)${s.oflowDrop ? ` oflow_drop=${fmt(s.oflowDrop)}` : ''}`).join(', ')}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
