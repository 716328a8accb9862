/**
 * configs/paths.yaml end to end: five real subscriber processes, one per receive mode, on one
 * feed through a socket-offload NIC. Each mode's mechanism shows in what the processes counted.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/experiment/config.js';
import { Lab } from '../../src/experiment/lab.js';
import { overheadRows } from '../../src/experiment/overheads.js';
import { formatReport } from '../../src/experiment/report.js';
import { droppedTotal } from '../../src/experiment/accounting.js';
import { config, G1, leftovers } from '../helpers/lab.js';
import { runModel } from '../../src/model/model-run.js';
import { DEFAULT_PROFILE, loadProfile } from '../../src/model/profile.js';
import { ROOT } from '../helpers/shared.js';

describe('configs/paths.yaml: every delivery path side by side', () => {
  it('each mode takes its path, copies what its mechanism copies, and parses where its mechanism parses', async () => {
    const s = await new Lab(loadConfig(join(ROOT, 'configs', 'paths.yaml')), { durationNs: 2e9 }).run();
    expect(s.state).toBe('done');
    const m = (name: string) => {
      const sub = s.subscribers.find((x) => x.name === name)!;
      return { sub, ms: sub.memberships[0] };
    };
    for (const sub of s.subscribers) {
      const a = sub.memberships[0].account;
      expect(a.balanced, sub.name).toBe(true);
      expect(a.sent, sub.name).toBe(a.delivered.bypass + a.delivered.kernel + a.delivered.offload + droppedTotal(a));
    }
    expect(s.totals.balanced).toBe(true);

    const kernel = m('kernel');
    const offload = m('offload');
    const onload = m('onload');
    const zc = m('onload-zc');
    const efvi = m('ef_vi');
    expect([kernel, offload, onload, zc, efvi].map((x) => x.ms.path)).toEqual(['kernel', 'offload', 'bypass', 'bypass', 'bypass']);

    // Copies: none in place; one payload copy for recv and the socket layer; two on the kernel path.
    expect(zc.ms.bytesCopied).toBe(0);
    expect(efvi.ms.bytesCopied).toBe(0);
    const perPacket = (x: typeof kernel) => x.ms.bytesCopied / (x.ms.account.delivered.bypass + x.ms.account.delivered.kernel + x.ms.account.delivered.offload);
    expect(perPacket(onload)).toBeGreaterThan(20); // at least a MoldUDP64 header each
    // (Each counts the packets it received: a few lost to a full socket queue shift the mean a little.)
    expect(Math.abs(perPacket(offload) / perPacket(onload) - 1)).toBeLessThan(0.05);
    expect(Math.abs(perPacket(kernel) / (2 * perPacket(onload)) - 1)).toBeLessThan(0.05);

    // Protocol processing: the stack library for the onload modes, the application for ef_vi, none on the host for offload.
    expect(onload.ms.parsing.stack).toBeGreaterThanOrEqual(onload.ms.account.delivered.bypass);
    expect(zc.ms.parsing.stack).toBeGreaterThanOrEqual(zc.ms.account.delivered.bypass);
    expect(efvi.ms.parsing).toMatchObject({ stack: 0, applicationRejected: 0 });
    expect(efvi.ms.parsing.application).toBe(efvi.ms.account.delivered.bypass);
    expect(offload.ms.parsing).toMatchObject({ stack: 0, application: 0 });
    expect(offload.ms.parsing.offloadReads).toBeGreaterThan(0);

    // Context switches: plain kernel sockets block and wake per read; a spinning ring reader does not.
    const voluntaryPerPacket = (x: typeof kernel) => x.sub.sinceFirstPacket!.voluntary / (x.ms.account.delivered.bypass + x.ms.account.delivered.kernel + x.ms.account.delivered.offload);
    expect(voluntaryPerPacket(kernel)).toBeGreaterThan(voluntaryPerPacket(zc));
    expect(voluntaryPerPacket(kernel)).toBeGreaterThan(voluntaryPerPacket(efvi));

    // The overheads table, as the report prints it.
    const rows = overheadRows(s);
    expect(rows.map((r) => [r.subscriber, r.mode, r.path, r.protocol])).toEqual([
      ['kernel', 'kernel', 'kernel', 'host kernel'],
      ['offload', 'offload', 'offload', 'on the NIC'],
      ['onload', 'onload', 'bypass', 'stack library in the process'],
      ['onload-zc', 'onload-zc', 'bypass', 'stack library in the process'],
      ['ef_vi', 'ef_vi', 'bypass', 'the application itself'],
    ]);
    expect(rows.every((r) => r.cpuUsPerPacket !== null && r.contextSwitchesPer1k !== null && r.p50 !== null)).toBe(true);
    expect(formatReport(s)).toMatch(/Overheads by receive mode/);
    const left = leftovers();
    expect(left.segments).toEqual([]);
    expect(left.processes).toEqual([]);
  }, 60_000);

  it('an offloaded socket\'s queue is sized by its rcvbuf, live and as a model: a slow reader drops with the default, not with 8 MB', async () => {
    // A stream socket's queue is its sender's send buffer: the subscriber asks, the NIC sets
    // SO_SNDBUF on its end (src/nic/offload-port.ts). Both read 200 µs a packet: the opening
    // cross outruns them, and only the default buffer overflows (oflow-drop).
    const slow = (name: string, extra: Record<string, unknown> = {}) => ({ name, receive: 'offload', groups: [G1], delay: '200us', ...extra });
    const cfg = config({ nic: { model: 'inic' }, subscribers: [slow('small'), slow('large', { rcvbuf: 8 << 20 })] });
    const live = await new Lab(cfg, { durationNs: 2e9 }).run();
    const model = (await runModel(cfg, { profile: loadProfile(DEFAULT_PROFILE), durationNs: 2e9 })).snapshot;
    for (const s of [live, model]) {
      const [small, large] = ['small', 'large'].map((n) => s.subscribers.find((x) => x.name === n)!.memberships[0]);
      expect(small.path).toBe('offload');
      expect(small.account.balanced).toBe(true);
      expect(large.account.balanced).toBe(true);
      expect(small.account.dropped['oflow-drop'] ?? 0, `${s === live ? 'live' : 'model'} small`).toBeGreaterThan(0);
      expect(small.account.dropped['ring-overrun'] ?? 0).toBe(0);
      expect(droppedTotal(large.account), `${s === live ? 'live' : 'model'} large`).toBe(0);
    }
  }, 60_000);
});
