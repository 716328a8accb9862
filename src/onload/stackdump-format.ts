/**
 * `mdlab stackdump` views, printed as onload_stackdump prints them, from the lab's registry
 * document. Pure: a document in, text or plain data out. Formats, from Onload's public source
 * (Xilinx-CNS/onload; DESIGN §14):
 * - the listing: libstack.c, libstack_stack_mapping_print: `#stack-id stack-name      pids`,
 *   rows "%-9d " id, "%-16s" name ("-" unnamed), pids comma-joined, then ci_log(" ");
 * - `lots`: libstack.c, stack_lots: a `====` rule, ci_netif_dump ("%s: stack=%d name=%s",
 *   netif_debug.c), `pids: …` (libstack_stack_mapping_print_pids), the sockets
 *   (ci_netif_dump_sockets: citp_waitable_dump, waitable.c "%s%s "NT_FMT"lcl=… rmt=… %s",
 *   then ci_udp_state_dump, udp.c), each followed by a `----` rule; then stats and more_stats;
 * - `filters`: oof_filters.c, oof_manager_dump and oof_local_port_dump;
 * - `stats` / `more_stats`: libstack.c stack_stats / stack_more_stats banners, then
 *   ci_dump_stats (stats_dump.h) "%s: %u", descriptions wrapped at 77 (print_long_lines).
 */
import { COUNTERS, type CounterDef } from '../metrics/counters.js';
import type { RegistryDocument, RegistrySocket } from './registry.js';

type Stack = RegistryDocument['stacks'][number];

export const RULE_EQ = '============================================================';
export const RULE_SOCKETS = '--------------------- sockets ------------------------------';
export const RULE_SOCKET_END = '------------------------------------------------------------';

export function statsBanner(id: number): string {
  return `-------------------- ci_netif_stats: ${id} ---------------------`;
}

export function moreStatsBanner(id: number): string {
  return `-------------------- more_stats: ${id} -------------------------`;
}

/** Stacks a filter (an id or a name) selects; every live stack without one. */
export function selectStacks(doc: RegistryDocument, filter?: string): Stack[] {
  const live = doc.stacks.filter((s) => s.live);
  if (filter === undefined) return live;
  return live.filter((s) => String(s.id) === filter || (s.name !== '' && s.name === filter));
}

/** The default listing (libstack_stack_mapping_print). */
export function formatListing(doc: RegistryDocument, o: { nopids?: boolean; stack?: string } = {}): string {
  const lines = [o.nopids ? '#stack-id stack-name' : '#stack-id stack-name      pids'];
  for (const s of selectStacks(doc, o.stack)) {
    const name = s.name === '' ? '-'.padEnd(16) : s.name.padEnd(16);
    lines.push(`${String(s.id).padEnd(9)} ${name}${o.nopids ? '' : s.pids.length === 0 ? '-' : s.pids.join(',')} `);
  }
  return `${lines.join('\n')}\n`;
}

/** Integer percent as Onload's percent(): a * 100 / b, truncated, 0 when b is 0. */
export function percent(a: number, b: number): number {
  return b > 0 ? Math.floor((a * 100) / b) : 0;
}

function socketId(so: RegistrySocket, i: number): number {
  return so.socket ?? i;
}

/** udpflags as CI_UDP_STATE_FLAGS_FMT prints them: FILT when filtered, MC for a join, MC_FILT with a multicast filter. */
function udpFlags(so: RegistrySocket): string {
  return so.state === 'ACCELERATED' ? 'FILT MC MC_FILT ' : 'MC ';
}

/** One UDP socket as ci_netif_dump_sockets prints it (the lines mdlab has values for). */
export function formatSocket(stack: number, so: RegistrySocket, i: number): string[] {
  const rxTotal = so.delivered + so.overrun + so.oflowDrop + so.os;
  return [
    `UDP ${stack}:${socketId(so, i)} lcl=${so.group} rmt=0.0.0.0:0 UDP`,
    `  udpflags: ${udpFlags(so)}`,
    `  rcv: q_pkts=${so.queued} reap=0 tot_pkts=${so.delivered}`,
    `  rcv: oflow_drop=${so.oflowDrop}(${percent(so.oflowDrop, rxTotal)}%) mem_drop=${so.overrun} eagain=0 pktinfo=0 q_max_pkts=${so.maxQueued}`,
    `  rcv: os=${so.os}(${percent(so.os, rxTotal)}%) os_slow=0 os_error=0`,
    `  snd: q=0+0 ul=0 os=0(0%)`,
  ];
}

/** Onload's counters for a stack, by their Onload names, and mdlab's own for it by registry name. */
export function stackCounters(doc: RegistryDocument, s: Stack): Record<string, number> {
  const members = doc.members.filter((m) => m.stack === s.id);
  const sum = (f: (so: RegistrySocket) => number) => s.sockets.reduce((n, so) => n + f(so), 0);
  const tableFull = members.filter((m) => m.cause === 'filter-table-full').length;
  const values: Record<string, number> = {
    rx_evs: s.rxPackets,
    udp_handover_socket: members.filter((m) => m.cause === 'not-accelerated').length,
    udp_handover_bind: tableFull,
    udp_handover_connect: 0,
    udp_handover_setsockopt: 0,
    udp_bind_no_filter: tableFull,
    no_match_pass_to_kernel_udp: 0,
    rx_discard_mcast_mismatch: 0,
    memory_pressure_drops: sum((so) => so.overrun),
    udp_tot_recv_pkts_ul: sum((so) => so.delivered),
    udp_tot_recv_drops_ul: sum((so) => so.overrun),
    udp_tot_recv_pkts_os: sum((so) => so.os),
    rxPackets: s.rxPackets,
    overrun: sum((so) => so.overrun),
  };
  return values;
}

export type StatsKind = 'stats' | 'more_stats';

/** The counters a view prints: Onload's of that kind, and (in `stats`) mdlab's own stack counters. */
export function statDefs(kind: StatsKind): CounterDef[] {
  const defs = COUNTERS as readonly CounterDef[];
  const onload = defs.filter((c) => c.scope === 'stack' && c.onload === kind);
  const own = kind === 'stats' ? defs.filter((c) => c.scope === 'stack' && c.onload === undefined && c.name !== 'ringFill') : [];
  return [...onload, ...own];
}

/** print_long_lines: the description in lines of at most 77 characters, each indented 3. */
export function wrapDescription(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > 77) {
    let cut = rest.lastIndexOf(' ', 77);
    if (cut <= 0) cut = 77;
    out.push(`   ${rest.slice(0, cut)}`);
    rest = rest.slice(cut).trimStart();
  }
  out.push(`   ${rest}`);
  return out;
}

export function formatStats(doc: RegistryDocument, kind: StatsKind, o: { stack?: string; describe?: boolean } = {}): string {
  const lines: string[] = [];
  for (const s of selectStacks(doc, o.stack)) {
    lines.push(kind === 'stats' ? statsBanner(s.id) : moreStatsBanner(s.id));
    const values = stackCounters(doc, s);
    for (const c of statDefs(kind)) {
      lines.push(`${c.name}: ${values[c.name] ?? 0}`);
      if (o.describe) lines.push(...wrapDescription(c.description));
    }
  }
  return `${lines.join('\n')}\n`;
}

export function formatLots(doc: RegistryDocument, o: { stack?: string; nopids?: boolean } = {}): string {
  const lines: string[] = [];
  for (const s of selectStacks(doc, o.stack)) {
    lines.push(RULE_EQ);
    lines.push(`ci_netif_dump_to_logger: stack=${s.id} name=${s.name}`);
    lines.push(`  mdlab emulated stack uid=0 pid=${doc.labPid} ns_flags=0 nic=${doc.nic}`);
    if (!o.nopids) lines.push(`pids: ${s.pids.join(',')}`);
    lines.push(RULE_SOCKETS);
    s.sockets.forEach((so, i) => {
      lines.push(...formatSocket(s.id, so, i));
      lines.push(RULE_SOCKET_END);
    });
    for (const kind of ['stats', 'more_stats'] as const) {
      lines.push(kind === 'stats' ? statsBanner(s.id) : moreStatsBanner(s.id));
      const values = stackCounters(doc, s);
      for (const c of statDefs(kind)) lines.push(`${c.name}: ${values[c.name] ?? 0}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A member's hwports (wanted, installable, installed) and state, as oof_mcast_member_state decides it. */
export interface FilterMember {
  stack: number;
  socket: number;
  group: string;
  state: 'ACCELERATED' | 'KERNEL';
}

export interface McastFilter {
  group: string;
  stack: number;
  wanted: number;
  installable: number;
  installed: number;
  members: FilterMember[];
}

export interface LocalPort {
  port: number;
  refs: number;
  filters: McastFilter[];
}

/**
 * The multicast filters per local port, from the registry: one filter per (group, stack) that
 * an Onload socket of the stack joined. Wanted on the one hwport; installable unless the group
 * is conflicted (no replication, several stacks); installed where the NIC has it.
 */
export function localPorts(doc: RegistryDocument): LocalPort[] {
  const ports = new Map<number, LocalPort>();
  const onloadMembers = doc.members.filter((m) => m.stack !== null && (m.path === 'bypass' || m.cause === 'mcast-conflict' || m.cause === 'filter-table-full'));
  for (const m of onloadMembers) {
    const port = Number(m.group.split(':')[1]);
    let lp = ports.get(port);
    if (!lp) ports.set(port, (lp = { port, refs: 0, filters: [] }));
    lp.refs++;
    let f = lp.filters.find((x) => x.group === m.group && x.stack === m.stack);
    if (!f) {
      const installed = doc.filters.some((x) => x.group === m.group && x.stack === m.stack) ? 1 : 0;
      const installable = m.cause === 'mcast-conflict' ? 0 : 1;
      f = { group: m.group, stack: m.stack!, wanted: 1, installable, installed, members: [] };
      lp.filters.push(f);
    }
    const stack = doc.stacks.find((s) => s.id === m.stack);
    const i = stack ? stack.sockets.findIndex((so) => so.subscriber === m.subscriber && so.group === m.group) : -1;
    const so = i >= 0 ? stack!.sockets[i] : undefined;
    f.members.push({ stack: m.stack!, socket: so ? socketId(so, i) : 0, group: m.group, state: f.installed === 1 ? 'ACCELERATED' : 'KERNEL' });
  }
  return [...ports.values()].sort((a, b) => a.port - b.port);
}

export function formatFilters(doc: RegistryDocument): string {
  const lines = [
    'oof_manager_dump: hwports up=1',
    '  down=0 unavailable=0 update_seen=0 ',
    `  mcast_replicate=${doc.replication ? 1 : 0} vlan_filters=0 no_5tuple=0 rx_shared=0`,
    'oof_manager_dump: local_addr_n=1',
    `  127.0.0.1 active=1 sockets=${doc.members.filter((m) => m.stack !== null).length}`,
  ];
  for (const lp of localPorts(doc)) {
    lines.push(`oof_local_port_dump: UDP:${lp.port} n_refs=${lp.refs}`);
    if (lp.filters.length === 0) continue;
    lines.push('  mcast filters:');
    for (const f of lp.filters) {
      lines.push(`    maddr=${f.group} stack=${f.stack} hwports=${f.wanted},${f.installable},${f.installed}`);
      for (const m of f.members) lines.push(`      ${m.stack}:${m.socket} UDP ${m.group} 0.0.0.0:0 if=1 hwports=${f.wanted},${f.installable},${f.installed} ${m.state}`);
    }
  }
  lines.push('oof_manager_dump: scalable interfaces and MAC filters');
  return `${lines.join('\n')}\n`;
}

/** Each view as plain data, for --json: the dump's own time beside the lab's start. */
export function stackdumpJson(doc: RegistryDocument, view: string, o: { stack?: string; dumpedAt: string }): Record<string, unknown> {
  const stacks = selectStacks(doc, o.stack);
  const base = { view, labPid: doc.labPid, config: doc.config, nic: doc.nic, startedAt: doc.startedAt, dumpedAt: o.dumpedAt };
  switch (view) {
    case 'filters':
      return { ...base, hwportsUp: 1, mcastReplicate: doc.replication ? 1 : 0, filterTable: doc.filterTable, installed: doc.filters, refused: doc.refused, localPorts: localPorts(doc) };
    case 'stats':
    case 'more_stats':
      return { ...base, stacks: stacks.map((s) => {
        const values = stackCounters(doc, s);
        return { id: s.id, name: s.name, counters: Object.fromEntries(statDefs(view).map((c) => [c.name, values[c.name] ?? 0])) };
      }) };
    case 'lots':
      return {
        ...base,
        stacks: stacks.map((s) => ({
          id: s.id, name: s.name, pids: s.pids,
          sockets: s.sockets.map((so, i) => {
            const rxTotal = so.delivered + so.overrun + so.oflowDrop + so.os;
            return { id: `${s.id}:${socketId(so, i)}`, ...so, rxTotal, osPercent: percent(so.os, rxTotal), oflowDropPercent: percent(so.oflowDrop, rxTotal) };
          }),
          stats: stackCounters(doc, s),
        })),
      };
    default:
      return { ...base, stacks: stacks.map((s) => ({ id: s.id, name: s.name, pids: s.pids })) };
  }
}
