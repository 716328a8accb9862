/**
 * Reads what a user copies from a production host: `onload_stackdump` (the listing, `lots`,
 * `filters`, `stats`, `more_stats`), `/proc/net/igmp` and `ss -uamp`. Pure: text in, plain data
 * out. The line forms are Onload's (DESIGN §14; src/tools/ip/libstack.c, udp.c, waitable.c,
 * oof_filters.c, stats_dump.h). Lines it does not know are skipped and counted, never fatal;
 * a line it knows in a form it does not (another version), or a dump cut short, is an error
 * naming the file and line.
 */
import { FormatError } from '../errors.js';

export interface DumpSocket {
  stack: number;
  socket: number;
  protocol: string;
  local: string;
  remote: string;
  flags: string[];
  qPkts: number;
  totPkts: number;
  oflowDrop: number;
  memDrop: number;
  qMaxPkts: number;
  os: number;
  osPercent: number;
  oflowPercent: number;
  /** Where it was read (file:line), for the report. */
  at: string;
}

export interface DumpStack {
  id: number;
  name: string;
  pids: number[];
  sockets: DumpSocket[];
  stats: Record<string, number>;
}

export interface DumpFilterMember {
  stack: number;
  socket: number;
  state: string;
  hwports: [number, number, number];
}

export interface DumpMcastFilter {
  group: string;
  stack: number;
  hwports: [number, number, number];
  members: DumpFilterMember[];
  at: string;
}

export interface DumpFilters {
  hwportsUp: number;
  mcastReplicate: number | null;
  filters: DumpMcastFilter[];
}

export interface KernelSocket {
  local: string;
  process: string | null;
  pid: number | null;
  drops: number | null;
}

export interface HostDump {
  stacks: DumpStack[];
  filters: DumpFilters | null;
  /** Groups the kernel has joined, by device (/proc/net/igmp). */
  igmp: { device: string; group: string }[];
  /** UDP sockets the kernel holds, with their processes (ss -uamp). */
  kernelSockets: KernelSocket[];
  /** Lines read, known, and skipped as unknown. */
  lines: number;
  skipped: number;
  /** The first few skipped lines, for the user to see what was not understood. */
  skippedExamples: string[];
  /** Which inputs were recognised: 'listing', 'lots', 'filters', 'stats', 'igmp', 'ss'. */
  sections: string[];
}

const HEX = /^[0-9a-f]+$/i;

function igmpGroup(hex: string): string {
  // /proc/net/igmp prints the group as the raw 32-bit word in host (little-endian) order.
  const n = parseInt(hex, 16) >>> 0;
  return `${n & 0xff}.${(n >>> 8) & 0xff}.${(n >>> 16) & 0xff}.${n >>> 24}`;
}

function emptyDump(): HostDump {
  return { stacks: [], filters: null, igmp: [], kernelSockets: [], lines: 0, skipped: 0, skippedExamples: [], sections: [] };
}

/** Parses the inputs in order (each a name and its text) into one picture of the host. */
export function parseHostDump(inputs: readonly { name: string; text: string }[]): HostDump {
  const d = emptyDump();
  const stack = (id: number): DumpStack => {
    let s = d.stacks.find((x) => x.id === id);
    if (!s) d.stacks.push((s = { id, name: '', pids: [], sockets: [], stats: {} }));
    return s;
  };
  const section = (name: string) => {
    if (!d.sections.includes(name)) d.sections.push(name);
  };
  for (const input of inputs) {
    const lines = input.text.split(/\r?\n/);
    let mode: 'none' | 'listing' | 'netif' | 'stats' | 'filters' | 'igmp' | 'ss' = 'none';
    let current: DumpStack | null = null;
    let sock: (DumpSocket & { seen: Set<string> }) | null = null;
    let statsOf: DumpStack | null = null;
    let filter: DumpMcastFilter | null = null;
    let pidsOpen = false;
    let igmpDevice = '';
    let lastKernel: KernelSocket | null = null;
    const where = (i: number) => `${input.name} line ${i + 1}`;
    const wrongForm = (i: number, what: string, expected: string): never => {
      throw new FormatError(input.name, `line ${i + 1}`, `${what} in a form this mdlab does not know (another Onload version?): expected ${expected}, got ${JSON.stringify(lines[i].trim().slice(0, 120))}`);
    };
    const closeSocket = (i: number) => {
      if (sock && !sock.seen.has('os')) {
        throw new FormatError(input.name, `line ${i + 1}`, `truncated dump: the ${sock.protocol} socket ${sock.stack}:${sock.socket} (${sock.at}) ends before its "rcv: os=" line`);
      }
      sock = null;
    };
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i];
      const line = raw.trimEnd();
      const t = line.trim();
      d.lines++;
      if (t === '') continue;
      let m: RegExpExecArray | null;

      // onload_stackdump listing (libstack_stack_mapping_print).
      if (/^#stack-id stack-name(\s+pids)?$/.test(t)) {
        mode = 'listing';
        section('listing');
        continue;
      }
      if (mode === 'listing' && (m = /^(\d+)\s+(\S+)(?:\s+(-|[\d,]+))?$/.exec(t))) {
        const s = stack(Number(m[1]));
        if (m[2] !== '-' && m[2] !== '<zombie>') s.name = m[2];
        if (m[3] && m[3] !== '-') for (const p of m[3].split(',').map(Number)) if (!s.pids.includes(p)) s.pids.push(p);
        continue;
      }

      // lots: one stack (ci_netif_dump, pids, sockets, stats).
      if (/^={20,}$/.test(t)) {
        closeSocket(i);
        mode = 'none';
        continue;
      }
      if ((m = /^ci_netif_dump(?:_to_logger)?: stack=(-?\d+) name=(.*)$/.exec(t))) {
        closeSocket(i);
        current = stack(Number(m[1]));
        if (m[2].trim() !== '') current.name = m[2].trim();
        mode = 'netif';
        section('lots');
        continue;
      }
      if ((m = /^pids: ?(.*)$/.exec(t))) {
        if (!current) wrongForm(i, 'a pids: line outside a stack', 'it after "ci_netif_dump_to_logger: stack=N name=X"');
        const list = m[1].trim();
        if (list !== '' && !/^[\d,]+$/.test(list)) wrongForm(i, 'the pids: line', 'pids: 1234,5678');
        for (const p of list.split(',').filter(Boolean).map(Number)) if (!current!.pids.includes(p)) current!.pids.push(p);
        pidsOpen = list.endsWith(',');
        continue;
      }
      if (pidsOpen && current && /^[\d,]+$/.test(t) && raw.startsWith('      ')) {
        for (const p of t.split(',').filter(Boolean).map(Number)) if (!current.pids.includes(p)) current.pids.push(p);
        pidsOpen = t.endsWith(',');
        continue;
      }
      pidsOpen = false;
      if (/^-+ sockets -+$/.test(t)) {
        closeSocket(i);
        continue;
      }
      if ((m = /^-+ (ci_netif_stats|more_stats): (\d+) -+$/.exec(t))) {
        closeSocket(i);
        statsOf = stack(Number(m[2]));
        mode = 'stats';
        section('stats');
        continue;
      }
      if (/^-{40,}$/.test(t)) {
        closeSocket(i);
        continue;
      }
      // Any other banner of lots (vi stats, config opts, stack time, process env) ends stats.
      if (/^-{10,} [A-Za-z_ ]+(: \d+)? -{10,}$/.test(t)) {
        closeSocket(i);
        mode = 'none';
        d.skipped++;
        continue;
      }
      if ((m = /^(UDP|TCP|PIPE|FREE|AUXBUFS|ACTIVE_WILD) (-?\d+):(\d+)(?: lcl=(\S*)\s+rmt=(\S*)\s+(\S+))?$/.exec(t))) {
        closeSocket(i);
        if (m[1] === 'UDP') {
          if (m[4] === undefined) wrongForm(i, 'a UDP socket header', 'UDP N:S lcl=ADDR:PORT rmt=ADDR:PORT UDP');
          sock = {
            stack: Number(m[2]), socket: Number(m[3]), protocol: 'UDP', local: m[4], remote: m[5], flags: [],
            qPkts: 0, totPkts: 0, oflowDrop: 0, memDrop: 0, qMaxPkts: 0, os: 0, osPercent: 0, oflowPercent: 0, at: where(i), seen: new Set(),
          };
          stack(sock.stack).sockets.push(sock);
          section('lots');
        }
        continue;
      }
      if (sock && (m = /^udpflags:(.*)$/.exec(t))) {
        sock.flags = m[1].trim().split(/\s+/).filter(Boolean);
        continue;
      }
      if (sock && /^rcv: /.test(t)) {
        if (/^rcv: q_pkts=/.test(t)) {
          m = /^rcv: q_pkts=(-?\d+) reap=(-?\d+) tot_pkts=(\d+)$/.exec(t) ?? wrongForm(i, 'the rcv: q_pkts= line', 'rcv: q_pkts=N reap=N tot_pkts=N');
          sock.qPkts = Number(m[1]);
          sock.totPkts = Number(m[3]);
          sock.seen.add('q');
        } else if (/^rcv: oflow_drop=/.test(t)) {
          m = /^rcv: oflow_drop=(\d+)\((\d+)%\) mem_drop=(\d+) eagain=(\d+) pktinfo=(\d+) q_max_pkts=(\d+)$/.exec(t) ?? wrongForm(i, 'the rcv: oflow_drop= line', 'rcv: oflow_drop=N(P%) mem_drop=N eagain=N pktinfo=N q_max_pkts=N');
          sock.oflowDrop = Number(m[1]);
          sock.oflowPercent = Number(m[2]);
          sock.memDrop = Number(m[3]);
          sock.qMaxPkts = Number(m[6]);
          sock.seen.add('oflow');
        } else if (/^rcv: os=/.test(t)) {
          m = /^rcv: os=(\d+)\((\d+)%\) os_slow=(\d+) os_error=(\d+)$/.exec(t) ?? wrongForm(i, 'the rcv: os= line', 'rcv: os=N(P%) os_slow=N os_error=N');
          sock.os = Number(m[1]);
          sock.osPercent = Number(m[2]);
          sock.seen.add('os');
        } else {
          d.skipped++;
          if (d.skippedExamples.length < 5) d.skippedExamples.push(`${where(i)}: ${t.slice(0, 100)}`);
        }
        continue;
      }
      if (mode === 'stats' && statsOf && (m = /^([a-z][a-z0-9_]*): (\d+)$/.exec(t))) {
        statsOf.stats[m[1]] = Number(m[2]);
        continue;
      }

      // filters (oof_manager_dump).
      if ((m = /^oof_manager_dump: hwports up=([0-9a-f]+)$/i.exec(t))) {
        closeSocket(i);
        d.filters ??= { hwportsUp: 0, mcastReplicate: null, filters: [] };
        d.filters.hwportsUp = parseInt(m[1], 16);
        mode = 'filters';
        section('filters');
        continue;
      }
      if (/^mcast_replicate=/.test(t)) {
        m = /^mcast_replicate=([0-9a-f]+)(?:\s|$)/i.exec(t) ?? wrongForm(i, 'the mcast_replicate= line', 'mcast_replicate=HEX vlan_filters=HEX …');
        d.filters ??= { hwportsUp: 0, mcastReplicate: null, filters: [] };
        d.filters.mcastReplicate = parseInt(m[1], 16);
        continue;
      }
      if (mode === 'filters' && /^oof_local_port_dump: /.test(t)) {
        filter = null;
        continue;
      }
      if (/^maddr=/.test(t) && mode === 'filters') {
        m = /^maddr=(\d+\.\d+\.\d+\.\d+):(\d+) stack=(-?\d+) hwports=([0-9a-f]+),([0-9a-f]+),([0-9a-f]+)$/i.exec(t) ?? wrongForm(i, 'a maddr= filter line', 'maddr=G:P stack=N hwports=W,I,X (hex: wanted, installable, installed)');
        filter = { group: `${m[1]}:${m[2]}`, stack: Number(m[3]), hwports: [parseInt(m[4], 16), parseInt(m[5], 16), parseInt(m[6], 16)], members: [], at: where(i) };
        d.filters!.filters.push(filter);
        continue;
      }
      if (mode === 'filters' && filter && (m = /^(-?\d+):(\d+) (UDP|TCP) \S+ \S+ if=-?\d+ hwports=([0-9a-f]+),([0-9a-f]+),([0-9a-f]+) (\S+(?: \S+)*)$/i.exec(t))) {
        filter.members.push({ stack: Number(m[1]), socket: Number(m[2]), state: m[7], hwports: [parseInt(m[4], 16), parseInt(m[5], 16), parseInt(m[6], 16)] });
        continue;
      }
      if (mode === 'filters' && (/^(down|[\d.]+ active|oof_manager_dump:|mcast filters:|wild sockets|semi-wild|full-match|FILTER |Global filter|if=)/.test(t))) continue;

      // /proc/net/igmp.
      if (/^Idx\s+Device\s*:\s*Count\s+Querier/.test(t)) {
        mode = 'igmp';
        section('igmp');
        continue;
      }
      if (mode === 'igmp') {
        if ((m = /^\d+\s+(\S+)\s*:\s*\d+\s+V\d$/.exec(t))) {
          igmpDevice = m[1];
          continue;
        }
        if ((m = /^([0-9A-F]{8})\s+\d+\s+[0-9A-F]+:[0-9A-F]+\s+\d+$/i.exec(t)) && HEX.test(m[1])) {
          d.igmp.push({ device: igmpDevice, group: igmpGroup(m[1]) });
          continue;
        }
      }

      // ss -uamp.
      if (/^(State|Netid)\s+(State\s+)?Recv-Q\s+Send-Q/.test(t)) {
        mode = 'ss';
        section('ss');
        continue;
      }
      if (mode === 'ss') {
        if ((m = /^(?:udp\s+)?(UNCONN|ESTAB)\s+\d+\s+\d+\s+(\S+)\s+\S+(?:\s+users:\(\("([^"]*)",pid=(\d+))?/.exec(t))) {
          lastKernel = { local: m[2], process: m[3] ?? null, pid: m[4] === undefined ? null : Number(m[4]), drops: null };
          d.kernelSockets.push(lastKernel);
          continue;
        }
        if ((m = /^skmem:\(.*\bd(\d+)\)$/.exec(t)) && lastKernel) {
          lastKernel.drops = Number(m[1]);
          continue;
        }
      }

      // Lines of a known dump that carry nothing mdlab needs (lock:, rx_wake=, snd:, config opts, ...).
      d.skipped++;
      if (d.skippedExamples.length < 5) d.skippedExamples.push(`${where(i)}: ${t.slice(0, 100)}`);
    }
    closeSocket(lines.length - 1);
  }
  if (d.sections.length === 0) {
    const names = inputs.map((x) => x.name).join(', ');
    throw new FormatError(names, 'line 1', 'not onload_stackdump output: expected the text of `onload_stackdump lots` or `filters` (or the listing, /proc/net/igmp, ss -uamp), such as a "ci_netif_dump_to_logger: stack=0 name=…" or "oof_manager_dump: hwports up=…" line');
  }
  d.stacks.sort((a, b) => a.id - b.id);
  return d;
}
