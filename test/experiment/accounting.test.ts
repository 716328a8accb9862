import { describe, expect, it } from 'vitest';
import { account } from '../../src/experiment/accounting.js';
import type { MemberCounters } from '../../src/nic/nic-layout.js';
import type { MembershipReport } from '../../src/subscriber/protocol.js';

const nic = (o: Partial<MemberCounters>): MemberCounters => ({ state: 1, path: 1, sent: 0, viaBypass: 0, viaKernel: 0, lost: 0, viaOffload: 0, injected: 0, ...o });
const rep = (o: Partial<MembershipReport>): MembershipReport => ({
  membership: 0, group: 0, receivedBypass: 0, receivedKernel: 0, ringDrops: 0, kernelDrops: 0, kernelCopiesIgnored: 0, foreignDatagrams: 0, malformed: 0,
  messages: 0, sequenceGaps: 0, missingMessages: 0, outOfOrder: 0, rewinds: 0, bytesCopied: 0, firstDeliveryNs: 0, lastDeliveryNs: 0, receivedOffload: 0, offloadDrops: 0, stackParsed: 0, appParsed: 0, appRejected: 0, offloadReads: 0, unreadBypass: 0, unreadKernel: 0, unreadOffload: 0, socketDrops: null, ...o,
});

describe('accounting: sent = delivered + dropped, each drop with its cause', () => {
  it('final: what did not arrive is lost on the path it was sent by', () => {
    const a = account(nic({ sent: 100, viaBypass: 60, viaKernel: 40 }), rep({ receivedBypass: 55, receivedKernel: 38, ringDrops: 5, kernelDrops: 1 }), 'final');
    expect(a).toMatchObject({ sent: 100, delivered: { bypass: 55, kernel: 38 }, dropped: { 'ring-overrun': 5, 'oflow-drop': 2 }, inFlight: 0, balanced: true });
    expect(a.detected).toEqual({ ringOverrun: 5, oflow: 1, socketDrops: null });
  });

  it('running: gaps are drops, the rest is in flight', () => {
    const a = account(nic({ sent: 100, viaBypass: 100 }), rep({ receivedBypass: 90, ringDrops: 4 }), 'running');
    expect(a).toMatchObject({ dropped: { 'ring-overrun': 4 }, inFlight: 6, balanced: true });
  });

  it('silent loss of a non-Onload socket is counted as non-onload-loss', () => {
    expect(account(nic({ sent: 50, lost: 50, path: 3 }), rep({}), 'final')).toMatchObject({ dropped: { 'non-onload-loss': 50 }, balanced: true });
  });

  it('a killed subscriber: reported gaps keep their cause, the rest is process-exit', () => {
    const a = account(nic({ sent: 100, viaKernel: 100 }), rep({ receivedKernel: 70, kernelDrops: 3 }), 'exited');
    expect(a).toMatchObject({ dropped: { 'oflow-drop': 3, 'process-exit': 27 }, balanced: true });
  });

  it('flags an account that cannot balance (more received than sent)', () => {
    expect(account(nic({ sent: 10, viaBypass: 10 }), rep({ receivedBypass: 11 }), 'final').balanced).toBe(false);
  });
});
