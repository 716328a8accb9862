/**
 * `mdlab doctor` on hand-written onload_stackdump text (test/fixtures/onload, each form cited from
 * Onload's source in its README): the same pure fallback core the lab runs gives cause and fix.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose, formatDiagnosis } from '../../src/onload/doctor.js';
import { parseHostDump } from '../../src/onload/dump-parse.js';
import { mdlab } from '../helpers/cli.js';
import { ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = join(ROOT, 'test', 'fixtures', 'onload');
const read = (name: string) => ({ name, text: readFileSync(join(FIX, name), 'utf8') });
const tmp = tempDir();

describe('doctor: two feed handlers in separate stacks on a NIC without replication (lots + filters)', () => {
  const dump = parseHostDump([read('trap-lots.txt'), read('trap-filters.txt')]);
  const x = diagnose(dump);

  it('reads the stacks, their pids, and each socket\'s rcv: counters; skips and counts the lines it does not need', () => {
    expect(dump.stacks.map((s) => [s.id, s.name, s.pids, s.sockets.map((so) => [so.socket, so.local, so.os, so.osPercent])])).toEqual([
      [0, '', [96602], [[3, '0.0.0.0:26477', 1843210, 100]]],
      [1, '', [96703], [[3, '0.0.0.0:26477', 1838004, 100]]],
    ]);
    expect(dump.filters).toMatchObject({ hwportsUp: 3, mcastReplicate: 0 });
    expect(dump.filters!.filters.map((f) => [f.group, f.stack, f.hwports, f.members.map((m) => `${m.stack}:${m.socket} ${m.state}`)])).toEqual([
      ['233.54.12.111:26477', 0, [1, 0, 0], ['0:3 KERNEL']],
      ['233.54.12.111:26477', 1, [1, 0, 0], ['1:3 KERNEL']],
    ]);
    expect(dump.skipped).toBeGreaterThan(10); // lock:, rx_wake=, config opts, the wild sockets' lines ...
    // Config opts after the stats banner are not stats.
    expect(dump.stacks[0].stats).not.toHaveProperty('rx_ring_size_lookup');
  });

  it('names the group, the stacks and pids, mcast-conflict, the EF_NAME fix, and the packets it cost (os=)', () => {
    const f = x.findings.filter((y) => y.kind === 'kernel-path');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ group: '233.54.12.111:26477', cause: 'mcast-conflict', packets: 1843210 + 1838004 });
    expect(f[0].stacks).toEqual([{ id: 0, name: '', pids: [96602] }, { id: 1, name: '', pids: [96703] }]);
    expect(f[0].fix).toMatch(/^EF_NAME=feed on pid 96602 and pid 96703 \(one shared stack\), or a NIC with multicast replication/);
    expect(x.nic).toEqual({ mcastReplicate: 0, replication: false, inferred: false });
    const text = formatDiagnosis(x);
    expect(text).toContain('233.54.12.111:26477 arrives through the kernel (mcast-conflict): 3,681,214 packets so far (os=)');
    expect(text).toContain('stack 0 (pid 96602) and stack 1 (pid 96703) joined 233.54.12.111:26477; this NIC (mcast_replicate=0) cannot replicate multicast');
  });

  it('/proc/net/igmp, where given, shows the kernel has joined the group (its word is the group in host order)', () => {
    const igmp = 'Idx\tDevice    :  Count Querier\tGroup    Users Timer\tReporter\n4\tens1f0    :     3      V3\n\t\t\t\t6F0C36E9     2 0:00000000\t\t0\n\t\t\t\t010000E0     1 0:00000000\t\t0\n';
    const y = diagnose(parseHostDump([read('trap-lots.txt'), read('trap-filters.txt'), { name: 'igmp.txt', text: igmp }]));
    expect(y.findings[0].message).toMatch(/the kernel has joined it on ens1f0 \(\/proc\/net\/igmp\)$/);
    expect(y.input.sections).toContain('igmp');
  });

  it('without the filter dump it still finds the conflict from the sockets, and says what it inferred', () => {
    // The sockets are bound to 0.0.0.0: only filters name their group, so give lots with groups in lcl.
    const lots = read('trap-lots.txt').text.replace(/lcl=0\.0\.0\.0:26477/g, 'lcl=233.54.12.111:26477');
    const y = diagnose(parseHostDump([{ name: 'lots', text: lots }]));
    expect(y.nic).toEqual({ mcastReplicate: null, replication: false, inferred: true });
    expect(y.findings[0]).toMatchObject({ kind: 'kernel-path', cause: 'mcast-conflict' });
    expect(y.notes.join(' ')).toMatch(/mcast_replicate is not in the input/);
  });
});

describe('doctor: a replicating NIC whose filter table is full, with an oflow drop and a handover', () => {
  const x = diagnose(parseHostDump([read('full-table.txt')]));
  it('filter-table-full for the group that was installable but not installed; oflow_drop; udp_handover_bind', () => {
    expect(x.nic.replication).toBe(true);
    const kinds = x.findings.map((f) => [f.kind, f.group, f.cause]);
    expect(kinds).toContainEqual(['kernel-path', '239.10.0.2:30001', 'filter-table-full']);
    expect(kinds).toContainEqual(['oflow-drop', '239.10.0.1:30001', 'oflow-drop']);
    expect(kinds).toContainEqual(['handover', null, 'handover']);
    expect(x.findings.find((f) => f.cause === 'filter-table-full')!.packets).toBe(401998);
    expect(x.findings.find((f) => f.cause === 'filter-table-full')!.fix).toMatch(/share a stack with EF_NAME|larger filter table/);
    // The real line from anonymise_stackdump.py, with an empty lcl=, is read too.
    expect(x.stacks.map((s) => s.id)).toEqual([0, 2]);
  });
});

describe('doctor: a process outside Onload on a group the NIC steers to a stack (ss -uamp)', () => {
  it('non-onload-loss, from the same core, with its fix', () => {
    const text = [
      'ci_netif_dump_to_logger: stack=0 name=feed', 'pids: 700',
      '--------------------- sockets ------------------------------',
      'UDP 0:1 lcl=239.1.1.1:5000 rmt=0.0.0.0:0 UDP', '  rcv: q_pkts=0 reap=0 tot_pkts=10', '  rcv: oflow_drop=0(0%) mem_drop=0 eagain=0 pktinfo=0 q_max_pkts=1', '  rcv: os=0(0%) os_slow=0 os_error=0',
      '------------------------------------------------------------',
      'oof_manager_dump: hwports up=1', '  mcast_replicate=0 vlan_filters=0 no_5tuple=0 rx_shared=0',
      'State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process',
      'UNCONN 0      0      239.1.1.1:5000      0.0.0.0:*     users:(("risk",pid=812,fd=9))',
      '\t skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)',
    ].join('\n');
    const x = diagnose(parseHostDump([{ name: 'host.txt', text }]));
    expect(x.findings).toContainEqual(expect.objectContaining({ kind: 'no-traffic', group: '239.1.1.1:5000', cause: 'non-onload-loss' }));
    expect(x.findings.find((f) => f.cause === 'non-onload-loss')!.fix).toMatch(/under Onload in the same stack \(EF_NAME\), or use a NIC with multicast replication/);
  });
});

describe('doctor: bad input gets one clear line naming the line; unknown lines never fatal', () => {
  const run = (name: string, text: string) => {
    const f = tmp.file(name);
    writeFileSync(f, text);
    return mdlab(['doctor', f]);
  };
  it('not stackdump text', () => {
    const r = run('notes.txt', 'hello\nthis is my shopping list\n');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/notes\.txt: line 1: not onload_stackdump output: expected the text of `onload_stackdump lots` or `filters`/)]);
  });
  it('a dump cut short inside a socket', () => {
    const r = run('cut.txt', 'ci_netif_dump_to_logger: stack=0 name=\npids: 1\n--------------------- sockets ------------------------------\nUDP 0:3 lcl=0.0.0.0:26477 rmt=0.0.0.0:0 UDP\n  rcv: q_pkts=0 reap=0 tot_pkts=0\n');
    expect(r.stderr.trim()).toMatch(/^mdlab: .*cut\.txt: line \d+: truncated dump: the UDP socket 0:3 \(.*cut\.txt line 4\) ends before its "rcv: os=" line$/);
  });
  it('a known line in a form another version prints', () => {
    const r = run('v.txt', 'ci_netif_dump_to_logger: stack=0 name=\nUDP 0:3 lcl=0.0.0.0:26477 rmt=0.0.0.0:0 UDP\n  rcv: os=12 slow=0\n');
    expect(r.stderr.trim()).toMatch(/^mdlab: .*v\.txt: line 3: the rcv: os= line in a form this mdlab does not know \(another Onload version\?\): expected rcv: os=N\(P%\) os_slow=N os_error=N/);
  });
  it('a binary file, a directory, a missing file', () => {
    expect(run('bin.txt', 'ab\u0000cd').stderr).toMatch(/bin\.txt: byte 2: a NUL byte/);
    expect(mdlab(['doctor', tmp.dir]).stderr).toMatch(/is a directory/);
    expect(mdlab(['doctor', tmp.file('nope.txt')]).stderr).toMatch(/nope\.txt: no such file/);
  });
});

describe('doctor --config writes a config that runs as a lab', () => {
  it('with the host\'s stacks, groups mapped onto the recording\'s, and its NIC family', () => {
    const out = tmp.file('host.yaml');
    const r = mdlab(['doctor', join(FIX, 'trap-lots.txt'), join(FIX, 'trap-filters.txt'), '--config', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ config: out, healthy: false });
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('233.54.12.111:26477 is played as 239.100.1.1:26400');
    expect(text).toContain('model: sfn6122f');
    expect(text).toMatch(/- name: pid96602\n    groups: \[239\.100\.1\.1:26400\]/);
    const lab = mdlab(['run', out, '--headless', '--duration', '1s'], {}, 60_000);
    expect(lab.code, lab.stderr).toBe(0);
    expect(lab.stdout).toMatch(/239\.100\.1\.1:26400 bypass → kernel {2}mcast-conflict/);
  });
});
