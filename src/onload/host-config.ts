/**
 * `mdlab doctor … --config FILE`: an mdlab config that reproduces the host a dump came from (its
 * stacks and their EF_NAMEs, the groups each joined, the NIC family), so the user can replay
 * their own situation in the lab. Pure: a dump and its diagnosis in, YAML text out.
 * Groups the bundled recording does not carry are mapped onto its groups, in order, and the
 * file says so; the paths and causes depend on who joined what, not on which addresses.
 */
import type { Diagnosis } from './doctor.js';
import type { HostDump } from './dump-parse.js';

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_-]{0,23}$/;

function identifier(text: string, fallback: string): string {
  if (IDENTIFIER.test(text)) return text;
  const cleaned = text.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^[^A-Za-z]+/, '');
  return cleaned === '' ? fallback : cleaned.slice(0, 24);
}

export interface HostConfigOptions {
  /** The recording the config replays (a path as the config should name it). */
  recording: string;
  /** Groups the recording carries, in order (the bundled one: 239.100.1.1-4:26400). */
  recordingGroups: readonly string[];
  sources: readonly string[];
  writtenAt: string;
}

export function hostConfig(d: HostDump, x: Diagnosis, o: HostConfigOptions): string {
  // Groups: kept where the recording has them, else mapped onto its groups in order.
  const mapping = new Map<string, string>();
  const spare = o.recordingGroups.filter((g) => !x.groups.some((h) => h.group === g));
  for (const g of x.groups) {
    if (o.recordingGroups.includes(g.group)) mapping.set(g.group, g.group);
    else if (spare.length > 0) mapping.set(g.group, spare.shift()!);
  }
  const dropped = x.groups.filter((g) => !mapping.has(g.group)).map((g) => g.group);
  const groupsOfStack = (id: number) => x.groups.filter((g) => g.stacks.includes(id) && mapping.has(g.group)).map((g) => mapping.get(g.group)!);

  const tableFull = x.findings.some((f) => f.cause === 'filter-table-full');
  const installed = (d.filters?.filters ?? []).filter((f) => f.hwports[2] !== 0).length;
  const model = x.nic.replication ? (tableFull ? 'x3522' : 'x2522') : 'sfn6122f';
  const lines: string[] = [
    `# Written by mdlab doctor on ${o.writtenAt} from ${o.sources.join(', ')}: the host's stacks, their`,
    '# EF_NAMEs, the groups each joined and its NIC family, to replay in the lab (mdlab run THIS_FILE).',
    `# The host's NIC: mcast_replicate=${x.nic.mcastReplicate ?? '?'} (${x.nic.replication ? 'replicates multicast' : 'cannot replicate multicast'}), modelled as ${model}.`,
  ];
  const moved = [...mapping.entries()].filter(([a, b]) => a !== b);
  if (moved.length > 0) lines.push(`# The recording carries other groups: ${moved.map(([a, b]) => `${a} is played as ${b}`).join(', ')}.`);
  if (dropped.length > 0) lines.push(`# Left out (the recording has no group to spare): ${dropped.join(', ')}.`);
  lines.push(`description: the host of ${o.sources.join(', ')}, as mdlab doctor read it`);
  lines.push(`recording: ${JSON.stringify(o.recording)}`);
  lines.push('nic:');
  lines.push(`  model: ${model}`);
  if (tableFull) lines.push(`  filterTable: ${Math.max(1, installed)}`);
  lines.push('subscribers:');
  let written = 0;
  for (const s of d.stacks) {
    const groups = groupsOfStack(s.id);
    if (groups.length === 0) continue;
    const procs = s.pids.length > 0 ? s.pids : [null];
    // A named stack is shared: one subscriber per process, all with its EF_NAME. An unnamed one is its process's own.
    const shared = s.name !== '' ? identifier(s.name, `stack${s.id}`) : null;
    if (shared === null && procs.length > 1) lines.push(`  # stack ${s.id} is unnamed but lists pids ${s.pids.join(',')}: one process (forked children share it)`);
    for (const pid of shared === null ? procs.slice(0, 1) : procs) {
      lines.push(`  - name: ${identifier(pid === null ? `stack${s.id}` : `pid${pid}`, `stack${s.id}`)}`);
      lines.push(`    groups: [${groups.join(', ')}]`);
      lines.push('    env:');
      if (shared !== null) lines.push(`      EF_NAME: ${shared}`);
      lines.push('      EF_POLL_USEC: 0');
      written++;
    }
  }
  // Processes in no stack with a kernel socket on a group (ss -uamp): not Onload.
  const stackPids = new Set(d.stacks.flatMap((s) => s.pids));
  const seen = new Set<number>();
  for (const k of d.kernelSockets) {
    if (k.pid === null || stackPids.has(k.pid) || seen.has(k.pid) || !mapping.has(k.local)) continue;
    seen.add(k.pid);
    const groups = [...new Set(d.kernelSockets.filter((x) => x.pid === k.pid && mapping.has(x.local)).map((x) => mapping.get(x.local)!))];
    lines.push(`  - name: ${identifier(`pid${k.pid}`, 'kernel')}`);
    lines.push('    onload: false');
    lines.push(`    groups: [${groups.join(', ')}]`);
    written++;
  }
  if (written === 0) lines.push('  [] # no stack joined a multicast group in the input');
  return `${lines.join('\n')}\n`;
}
