/**
 * Every counter mdlab keeps, defined once, as Onload's stats_def.h defines its stack counters:
 * a stable id, the name used in results (JSON keys, report columns), where it is kept, and a
 * description of what it means and what to do about it. The report, the JSON result and
 * `mdlab run --describe` read this table; nothing else defines a counter's meaning.
 */
export type CounterScope = 'nic' | 'group' | 'membership' | 'stack' | 'subscriber' | 'health';

export interface CounterDef {
  readonly id: number;
  readonly name: string;
  readonly scope: CounterScope;
  readonly description: string;
  /** For the health thresholds: past this value a run is contended (units in the name). */
  readonly threshold?: number;
  /**
   * Where Onload keeps a counter of this name: `mdlab stackdump stats` prints it under
   * ci_netif_stats (stats_def.h), `more_stats` under more_stats (more_stats_def.h).
   */
  readonly onload?: 'stats' | 'more_stats';
}

export const COUNTERS = [
  { id: 1, name: 'packets', scope: 'nic', description: 'packets the NIC replayed onto the wire' },
  { id: 2, name: 'messages', scope: 'nic', description: 'ITCH messages in those packets (heartbeats and end-of-session carry none)' },
  { id: 3, name: 'ringWrites', scope: 'nic', description: 'frames DMAed into stack RX rings (one per stack whose filter matched): kernel bypass' },
  { id: 4, name: 'kernelSends', scope: 'nic', description: 'packets handed to the kernel (UDP multicast on loopback): every joined kernel socket gets a copy' },
  { id: 5, name: 'worstLagNs', scope: 'nic', description: 'the most the NIC fell behind the recording\'s schedule; large values mean the NIC lacked CPU: fewer spinning processes, or a slower speed' },
  { id: 9, name: 'offCpuMaxNs', scope: 'nic', description: 'the longest the NIC was off its CPU while it spun to a packet\'s send time (two clock reads more than 0.5 ms apart), and how often: time the host took (another process, an interrupt, the hypervisor), not the NIC\'s own work; it explains a NIC lag the lab did not cause' },
  { id: 26, name: 'nic.gc.minor', scope: 'nic', description: 'the NIC\'s own scavenges (young-generation garbage collections) since the replay began (nic.gc.minor in the JSON): its hot path allocates nothing per packet, so a few a second at most; each pauses every send for ~0.1-1 ms (its longest: nic.maxGcNs, and in the host health)' },
  { id: 27, name: 'nic.gc.major', scope: 'nic', description: 'the NIC\'s full garbage collections (mark-compact) since the replay began: the old generation filling with what survived its scavenges' },
  { id: 6, name: 'unjoined', scope: 'nic', description: 'packets to groups no subscriber joined: they go nowhere, as on a real NIC with no filter and no kernel member' },
  { id: 7, name: 'tooBig', scope: 'nic', description: 'packets too large for a ring slot or a datagram buffer, not delivered: a corrupt or unusual recording' },
  { id: 10, name: 'sent', scope: 'membership', description: 'packets of the group the NIC delivered to this socket while it was joined (by any path, or lost)' },
  { id: 11, name: 'delivered.bypass', scope: 'membership', description: 'packets the socket read from its stack\'s RX ring: kernel bypass' },
  { id: 12, name: 'delivered.kernel', scope: 'membership', description: 'packets the socket read from its kernel socket: the fallback path' },
  { id: 52, name: 'delivered.offload', scope: 'membership', description: 'payloads the socket-offload NIC (model inic) handed this socket through the socket layer (receive: offload)' },
  { id: 13, name: 'dropped.ring-overrun', scope: 'membership', description: 'the NIC lapped this reader on its stack\'s ring: it read too slowly (spin, less work per packet, a bigger ring)' },
  { id: 14, name: 'dropped.oflow-drop', scope: 'membership', description: 'a socket queue overflowed (the kernel socket\'s receive queue, or the offload NIC\'s socket): the reader fell behind (keep bypass, raise rcvbuf)' },
  { id: 15, name: 'dropped.non-onload-loss', scope: 'membership', description: 'a socket outside Onload on a group steered to a stack received nothing: run it under Onload, or use a NIC with replication' },
  { id: 16, name: 'dropped.process-exit', scope: 'membership', description: 'packets sent to a subscriber after its last report, lost when its process exited' },
  { id: 23, name: 'dropped.unread', scope: 'membership', description: 'still queued for a live reader (in its ring or its socket) when the run ended and its time to drain was up: never read, so never delivered; a reader slower than the feed (less work per packet, or a longer run)' },
  { id: 25, name: 'dropped.injected', scope: 'membership', description: 'dropped by the NIC on purpose, by a config\'s drop event (injected loss, to make loss experiments repeatable): sent, never on any path' },
  { id: 8, name: 'injected', scope: 'nic', description: 'packets the NIC dropped on purpose (a config\'s drop event: the next N packets of a group, or a rate), before any ring or socket' },
  { id: 17, name: 'inFlight', scope: 'membership', description: 'sent but not yet read (only while running: a finished run has none, each packet is read or attributed to a cause)' },
  { id: 18, name: 'detected.ringOverrun', scope: 'membership', description: 'ring drops the reader itself saw as gaps in its group\'s ring sequence (a check on dropped.ring-overrun)' },
  { id: 19, name: 'detected.oflow', scope: 'membership', description: 'kernel drops the reader saw as gaps in the kernel copies\' sequence (a check on dropped.oflow-drop)' },
  { id: 24, name: 'detected.socketDrops', scope: 'membership', description: 'datagrams the kernel itself dropped at this socket\'s kernel socket, its receive queue full (sk_drops in /proc/net/udp, what SO_RXQ_OVFL reports): the kernel\'s own check on dropped.oflow-drop' },
  { id: 20, name: 'sequenceGaps', scope: 'membership', description: 'MoldUDP64 sequence gaps the feed handler saw: messages it will have to recover' },
  { id: 21, name: 'missingMessages', scope: 'membership', description: 'messages missing in those gaps' },
  { id: 22, name: 'outOfOrder', scope: 'membership', description: 'packets older than one already seen (a path change reorders: kernel copies arrive after bypass ones)' },
  { id: 30, name: 'ringFill', scope: 'stack', description: 'how full the ring is for its slowest reader (0 to 1); near 1, that reader is about to be overrun' },
  { id: 31, name: 'rxPackets', scope: 'stack', description: 'frames the NIC wrote into this stack\'s ring' },
  { id: 32, name: 'overrun', scope: 'stack', description: 'ring slots lost by its readers, all groups' },
  { id: 40, name: 'contextSwitches.voluntary', scope: 'subscriber', description: 'times the process blocked (a read with nothing to read, a wait for an interrupt)' },
  { id: 41, name: 'contextSwitches.involuntary', scope: 'subscriber', description: 'times the scheduler took the CPU from it: too many runnable processes for the cores' },
  { id: 42, name: 'cpuUs', scope: 'subscriber', description: 'CPU time used, user and system (a spinning process uses a whole core)' },
  { id: 44, name: 'socketWait.kernel', scope: 'subscriber', description: 'how long each kernel-path datagram waited in its socket before the subscriber read it, from the kernel\'s receive stamp (SO_TIMESTAMPNS) to the read (p50, p99, max): for a reader that sleeps, its wake-up, which the host decides (idle CPUs, a hypervisor); for a busy one, its backlog' },
  { id: 45, name: 'socketWait.doorbell', scope: 'subscriber', description: 'how long the NIC\'s doorbell (the emulated interrupt) waited in its socket before it woke the blocked reader (kernel stamp to read; p50, p99, max): an interrupt-driven reader\'s wake-up; when it is most of the bypass path\'s latency, the host, not the path, decides that figure: spin (EF_POLL_USEC)' },
  { id: 46, name: 'gc.minor', scope: 'subscriber', description: 'scavenges (young-generation garbage collections) since its first packet: each pauses the process for ~0.1-1 ms; a receive loop that allocates nothing per packet makes few' },
  { id: 47, name: 'gc.major', scope: 'subscriber', description: 'full garbage collections (mark-compact) since its first packet: a longer pause (its longest is in the host health, maxGcNs); the old generation filling with what survived scavenges' },
  { id: 48, name: 'liveHeap', scope: 'subscriber', description: 'the heap in use just after each full garbage collection since its first packet (time, bytes; in a finished run\'s result): what the process keeps, as against its RSS, which also holds the heap V8 has grown and not returned; a leak raises it' },
  { id: 43, name: 'interrupts', scope: 'subscriber', description: 'wake-ups by the NIC\'s doorbell while blocked (interrupt-driven or after EF_POLL_USEC of spinning)' },
  { id: 50, name: 'kernelCopiesIgnored', scope: 'membership', description: 'kernel copies meant for other sockets (the kernel copies to every joined socket)' },
  { id: 51, name: 'foreignDatagrams', scope: 'membership', description: 'datagrams from another lab on this host using the same groups, ignored' },
  // Loss recovery (DESIGN §13), per membership, where the config turns it on (recovery: true).
  { id: 90, name: 'recovery.gaps', scope: 'membership', description: 'gaps in the MoldUDP64 sequence the handler set out to fill (its book is not whole until they are)' },
  { id: 91, name: 'recovery.requests', scope: 'membership', description: 'MoldUDP64 request packets sent to the lab\'s re-request server, re-requests after a timeout included' },
  { id: 92, name: 'recovery.recovered', scope: 'membership', description: 'messages missing at a gap and passed on later in sequence (from a reply): a packet dropped and recovered counts as dropped, with its cause, and as recovered' },
  { id: 93, name: 'recovery.unrecovered', scope: 'membership', description: 'messages still missing at the run\'s end: the book is not whole (a server that died, a request past what it holds); raise the timeout or the server\'s limits' },
  { id: 94, name: 'recovery.duplicates', scope: 'membership', description: 'messages that came again after they had been passed on (a reply overlapping a late packet, or the other line\'s copy under A/B arbitration), skipped' },
  { id: 95, name: 'recovery.times', scope: 'membership', description: 'gap seen to sequence whole again, per gap (p50, p99, max; the recovery histogram in the .hlog and percentiles.csv): what the loss cost the book' },
  { id: 97, name: 'recovery.fromServer', scope: 'membership', description: 'messages passed on from the re-request server\'s replies (the rest came live, on a line)' },
  // A/B line arbitration (DESIGN §13), per channel (reported on the line A membership) where a subscriber joins both lines of a pair.
  { id: 100, name: 'lines.fromA', scope: 'membership', description: 'messages whose first copy came on line A (the copy that was passed on; the other line\'s is discarded)' },
  { id: 101, name: 'lines.fromB', scope: 'membership', description: 'messages whose first copy came on line B: line B won the race, or filled a gap on line A' },
  { id: 102, name: 'lines.filledByLine', scope: 'membership', description: 'gaps closed by the other line with no re-request sent: what A/B arbitration is for' },
  { id: 103, name: 'lines.lostOnBoth', scope: 'membership', description: 'messages neither line delivered: recovered from the server, skipped (no server), or still missing; only these cost a re-request' },
  { id: 104, name: 'lines.delay', scope: 'membership', description: 'how much later the second line\'s copy of a message came than the first (p50, p99, max): the arbitration delay, the margin line B gives' },
  { id: 96, name: 'recoveryServer.refused', scope: 'nic', description: 'requests the re-request server ignored, by reason: not a request, unknown session, count 0, before the first sequence, past what was sent, not in the recording, over the client\'s rate' },
  // Onload's own stack counters (src/include/ci/internal/stats_def.h and more_stats_def.h), per stack, as mdlab counts them.
  { id: 70, name: 'rx_evs', scope: 'stack', onload: 'stats', description: 'receive events: frames the NIC DMAed into this stack\'s RX ring' },
  { id: 71, name: 'udp_handover_socket', scope: 'stack', onload: 'stats', description: 'UDP sockets handed to the kernel at socket() (EF_DONT_ACCELERATE=1): they never read by bypass' },
  { id: 72, name: 'udp_handover_bind', scope: 'stack', onload: 'stats', description: 'UDP sockets handed to the kernel at bind(), for want of a hardware filter (EF_NO_FAIL=1): cause filter-table-full' },
  { id: 73, name: 'udp_handover_connect', scope: 'stack', onload: 'stats', description: 'UDP sockets handed to the kernel at connect() (mdlab\'s subscribers never connect: always 0)' },
  { id: 74, name: 'udp_handover_setsockopt', scope: 'stack', onload: 'stats', description: 'UDP sockets handed to the kernel at setsockopt() (mdlab models none: always 0; EF_MCAST_RECV=0 leaves receive to the kernel without a handover)' },
  { id: 75, name: 'udp_bind_no_filter', scope: 'stack', onload: 'stats', description: 'bind() found too few filters available, so the socket went to the kernel: the NIC\'s filter table is full (share a stack with EF_NAME, or a NIC with a larger table)' },
  { id: 76, name: 'no_match_pass_to_kernel_udp', scope: 'stack', onload: 'stats', description: 'UDP frames in the ring that no socket of the stack matched, passed to the kernel (mdlab steers only joined groups: always 0)' },
  { id: 77, name: 'rx_discard_mcast_mismatch', scope: 'stack', onload: 'stats', description: 'multicast frames discarded for matching no socket (a socket recently closed; mdlab removes a filter with its last member: always 0)' },
  { id: 78, name: 'memory_pressure_drops', scope: 'stack', onload: 'stats', description: 'packets lost for want of buffers: in mdlab a reader lapped on the ring (ring-overrun), its slots reused before it read them; spin, do less per packet, or a bigger ring' },
  { id: 79, name: 'udp_tot_recv_pkts_ul', scope: 'stack', onload: 'more_stats', description: 'UDP packets received at user level: by kernel bypass, from the ring' },
  { id: 80, name: 'udp_tot_recv_drops_ul', scope: 'stack', onload: 'more_stats', description: 'UDP packets dropped at user level (queue overflow or memory pressure): here ring overruns' },
  { id: 81, name: 'udp_tot_recv_pkts_os', scope: 'stack', onload: 'more_stats', description: 'UDP packets received via the kernel: the stack\'s sockets that fell back (os= per socket); with mcast-conflict, every member of the group' },
  { id: 60, name: 'health.runQueueWait', scope: 'health', threshold: 0.1, description: 'a lab process waited more than this share of the run on a run queue for a CPU (/proc/PID/schedstat): it was runnable and not running, so its figures are the scheduler\'s; give it a core (cpu:), or run fewer spinners' },
  { id: 61, name: 'health.spinnerStallNs', scope: 'health', threshold: 1e6, description: 'a spinning subscriber\'s longest poll-loop cycle (Aeron\'s max cycle time) was longer than this: it was taken off its CPU while packets waited; pin it to a core of its own' },
  { id: 62, name: 'health.spinnerInvoluntaryPerSecond', scope: 'health', threshold: 200, description: 'a spinning subscriber was preempted more often than this per second: another process shares its core' },
  { id: 63, name: 'health.nicLagP99Ns', scope: 'health', threshold: 1e6, description: 'the NIC\'s lag behind the recording\'s schedule, p99, was above this: it lacked CPU, so packets left late and latency from the scheduled time includes the wait' },
  { id: 64, name: 'health.outsideCores', scope: 'health', threshold: 0.25, description: 'processes outside the lab used more than this many cores on average during the run (/proc/stat less the lab\'s own CPU time)' },
  { id: 65, name: 'health.steal', scope: 'health', threshold: 0.02, description: 'the hypervisor took more than this share of CPU time from the virtual machine (steal in /proc/stat)' },
  { id: 67, name: 'health.nicNeighbourWait', scope: 'health', threshold: 0.02, description: 'when the NIC lagged: it waited more than this share of the run on a run queue (/proc/PID/schedstat), so the lab\'s own processes on its CPU ran in its place (their work, a wake-up, a GC); below it, the time it lost was the host\'s (an interrupt, the hypervisor)' },
  { id: 66, name: 'health.foreignDatagrams', scope: 'health', threshold: 0, description: 'datagrams from outside the lab reached its sockets (another lab, a replay, tcpreplay on the same groups): they fill socket buffers, so kernel-path drops are not the lab\'s own' },
] as const satisfies readonly CounterDef[];

export type CounterName = (typeof COUNTERS)[number]['name'];

export function counter(name: CounterName): CounterDef {
  return COUNTERS.find((c) => c.name === name)!;
}

/** `mdlab run --describe`: every counter, `id: name - description` as AeronStat prints them. */
export function describeCounters(): string {
  const scopes: CounterScope[] = ['nic', 'membership', 'stack', 'subscriber', 'health'];
  const out: string[] = [];
  for (const scope of scopes) {
    out.push(`${scope}:`);
    for (const c of COUNTERS.filter((x) => x.scope === scope) as readonly CounterDef[]) out.push(`  ${String(c.id).padStart(3)}: ${c.name}${c.threshold !== undefined ? ` (threshold ${c.threshold})` : ''} - ${c.description}`);
  }
  return `${out.join('\n')}\n`;
}
