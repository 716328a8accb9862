/**
 * `mdlab stackdump` prints what onload_stackdump prints, from the registry document. Formats cited
 * from Onload's source (Xilinx-CNS/onload at ef17681d; see test/fixtures/onload/README.md).
 */
import { describe, expect, it } from 'vitest';
import type { RegistryDocument, RegistrySocket } from '../../src/onload/registry.js';
import { formatFilters, formatListing, formatLots, formatStats, percent, wrapDescription } from '../../src/onload/stackdump-format.js';
import { parseHostDump } from '../../src/onload/dump-parse.js';

const sock = (o: Partial<RegistrySocket>): RegistrySocket => ({ socket: 0, subscriber: 'book1', pid: 4312, group: '239.100.1.1:26400', state: 'KERNEL', delivered: 0, os: 0, oflowDrop: 0, overrun: 0, queued: 0, maxQueued: 0, ...o });

function trapDoc(): RegistryDocument {
  return {
    labPid: 999, config: 'configs/ef-name-trap.yaml', nic: 'sfn6122f', replication: false, filterTable: 4096,
    startedAt: '2026-12-01T10:00:00.000Z', publishedAt: '2026-12-01T10:00:05.000Z',
    stacks: [
      { id: 0, name: '', segment: 's0', pids: [4312], live: true, rxPackets: 0, sockets: [sock({ os: 7657, oflowDrop: 148, queued: 126, maxQueued: 1403 }), sock({ socket: 1, group: '239.100.1.2:26400', os: 4152 })] },
      { id: 1, name: 'a-very-long-stack-name', segment: 's1', pids: [4313, 4314], live: true, rxPackets: 0, sockets: [sock({ subscriber: 'book2', pid: 4313, os: 7700 })] },
      { id: 2, name: 'gone', segment: 's2', pids: [4315], live: false, rxPackets: 0, sockets: [] },
    ],
    filters: [],
    refused: [],
    members: [
      { stack: 0, subscriber: 'book1', pid: 4312, group: '239.100.1.1:26400', path: 'kernel', cause: 'mcast-conflict', state: 'KERNEL' },
      { stack: 0, subscriber: 'book1', pid: 4312, group: '239.100.1.2:26400', path: 'kernel', cause: 'mcast-conflict', state: 'KERNEL' },
      { stack: 1, subscriber: 'book2', pid: 4313, group: '239.100.1.1:26400', path: 'kernel', cause: 'mcast-conflict', state: 'KERNEL' },
    ],
  };
}

describe('the listing, as libstack.c libstack_stack_mapping_print (lines 438-466)', () => {
  it('"%-9d " id, "%-16s" name or "-", pids comma-joined, then ci_log(" "): live stacks only, ids from 0', () => {
    expect(formatListing(trapDoc())).toBe([
      '#stack-id stack-name      pids',
      '0         -               4312 ',
      '1         a-very-long-stack-name4313,4314 ', // %-16s pads, never cuts: a long name runs into the pids
      '',
    ].join('\n'));
  });
  it('--nopids: the header and rows without pids (the row still ends in ci_log(" "))', () => {
    expect(formatListing(trapDoc(), { nopids: true })).toBe('#stack-id stack-name\n0         -                \n1         a-very-long-stack-name \n');
  });
});

describe('lots, as stack_lots and ci_udp_state_dump (udp.c lines 234-276)', () => {
  const text = formatLots(trapDoc());
  it('each stack: the ==== rule, ci_netif_dump_to_logger: stack=N name=X (netif_debug.c 852), pids:, the sockets rule', () => {
    expect(text).toContain('============================================================\nci_netif_dump_to_logger: stack=0 name=\n');
    expect(text).toContain('\npids: 4312\n--------------------- sockets ------------------------------\n');
    expect(text).toContain('ci_netif_dump_to_logger: stack=1 name=a-very-long-stack-name\n');
    expect(text).not.toContain('stack=2');
  });
  it('each UDP socket: header (waitable.c 337), udpflags, rcv: lines with integer percentages of rx_total, a ---- rule after', () => {
    // rx_total = tot_pkts 0 + mem_drop 0 + oflow_drop 148 + os 7657 = 7805: 148*100/7805 = 1.89 -> 1; 7657*100/7805 = 98.1 -> 98.
    expect(text).toContain([
      'UDP 0:0 lcl=239.100.1.1:26400 rmt=0.0.0.0:0 UDP',
      '  udpflags: MC ',
      '  rcv: q_pkts=126 reap=0 tot_pkts=0',
      '  rcv: oflow_drop=148(1%) mem_drop=0 eagain=0 pktinfo=0 q_max_pkts=1403',
      '  rcv: os=7657(98%) os_slow=0 os_error=0',
      '  snd: q=0+0 ul=0 os=0(0%)',
      '------------------------------------------------------------',
    ].join('\n'));
    expect(percent(148, 7805)).toBe(1);
    expect(percent(5, 0)).toBe(0);
  });
  it('then the stack\'s stats and more_stats with Onload\'s names (stats_def.h, more_stats_def.h)', () => {
    expect(text).toContain('-------------------- ci_netif_stats: 0 ---------------------\nrx_evs: 0\nudp_handover_socket: 0\n');
    expect(text).toContain('-------------------- more_stats: 0 -------------------------\nudp_tot_recv_pkts_ul: 0\nudp_tot_recv_drops_ul: 0\nudp_tot_recv_pkts_os: 11809\n');
  });
  it('reads back through mdlab doctor\'s parser, every socket and count', () => {
    const d = parseHostDump([{ name: 'lots', text }]);
    expect(d.stacks.map((s) => [s.id, s.name, s.pids, s.sockets.map((x) => [x.socket, x.local, x.os, x.osPercent, x.oflowDrop, x.qMaxPkts])])).toEqual([
      [0, '', [4312], [[0, '239.100.1.1:26400', 7657, 98, 148, 1403], [1, '239.100.1.2:26400', 4152, 100, 0, 0]]],
      [1, 'a-very-long-stack-name', [4313, 4314], [[0, '239.100.1.1:26400', 7700, 100, 0, 0]]],
    ]);
    expect(d.stacks[0].stats.udp_tot_recv_pkts_os).toBe(11809);
  });
});

describe('filters, as oof_manager_dump and oof_local_port_dump (oof_filters.c 5269-5410)', () => {
  it('hwports up, mcast_replicate, per local port its mcast filters: wanted,installable,installed and each member\'s state', () => {
    expect(formatFilters(trapDoc())).toBe([
      'oof_manager_dump: hwports up=1',
      '  down=0 unavailable=0 update_seen=0 ',
      '  mcast_replicate=0 vlan_filters=0 no_5tuple=0 rx_shared=0',
      'oof_manager_dump: local_addr_n=1',
      '  127.0.0.1 active=1 sockets=3',
      'oof_local_port_dump: UDP:26400 n_refs=3',
      '  mcast filters:',
      '    maddr=239.100.1.1:26400 stack=0 hwports=1,0,0',
      '      0:0 UDP 239.100.1.1:26400 0.0.0.0:0 if=1 hwports=1,0,0 KERNEL',
      '    maddr=239.100.1.2:26400 stack=0 hwports=1,0,0',
      '      0:1 UDP 239.100.1.2:26400 0.0.0.0:0 if=1 hwports=1,0,0 KERNEL',
      '    maddr=239.100.1.1:26400 stack=1 hwports=1,0,0',
      '      1:0 UDP 239.100.1.1:26400 0.0.0.0:0 if=1 hwports=1,0,0 KERNEL',
      'oof_manager_dump: scalable interfaces and MAC filters',
      '',
    ].join('\n'));
  });
  it('an installed filter is ACCELERATED (1,1,1); one refused for room is installable but not installed (1,1,0)', () => {
    const doc = trapDoc();
    doc.replication = true;
    doc.members = [
      { stack: 0, subscriber: 'book1', pid: 4312, group: '239.100.1.1:26400', path: 'bypass', cause: null, state: 'ACCELERATED' },
      { stack: 0, subscriber: 'book1', pid: 4312, group: '239.100.1.2:26400', path: 'kernel', cause: 'filter-table-full', state: 'KERNEL' },
    ];
    doc.filters = [{ group: '239.100.1.1:26400', stack: 0 }];
    const text = formatFilters(doc);
    expect(text).toContain('  mcast_replicate=1 ');
    expect(text).toContain('    maddr=239.100.1.1:26400 stack=0 hwports=1,1,1\n      0:0 UDP 239.100.1.1:26400 0.0.0.0:0 if=1 hwports=1,1,1 ACCELERATED');
    expect(text).toContain('    maddr=239.100.1.2:26400 stack=0 hwports=1,1,0\n      0:1 UDP 239.100.1.2:26400 0.0.0.0:0 if=1 hwports=1,1,0 KERNEL');
  });
});

describe('stats and more_stats (libstack.c stack_stats 1340-1349; stats_dump.h ci_dump_stats)', () => {
  it('a banner per stack, then "name: value" lines; --describe wraps each description at 77 as print_long_lines', () => {
    const text = formatStats(trapDoc(), 'stats', { stack: '0', describe: true });
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('-------------------- ci_netif_stats: 0 ---------------------');
    expect(lines).toContain('udp_bind_no_filter: 0');
    expect(lines.filter((l) => l.startsWith('   ')).every((l) => l.length <= 80)).toBe(true);
    expect(formatStats(trapDoc(), 'more_stats', { stack: 'a-very-long-stack-name' })).toBe('-------------------- more_stats: 1 -------------------------\nudp_tot_recv_pkts_ul: 0\nudp_tot_recv_drops_ul: 0\nudp_tot_recv_pkts_os: 7700\n');
    expect(wrapDescription('word '.repeat(40).trim()).every((l) => l.length <= 80 && l.startsWith('   '))).toBe(true);
  });
});
