import { describe, expect, it } from 'vitest';
import { explainDrops } from '../../src/experiment/drop-explain.js';
import { lagBucket, lagBucketTop } from '../../src/nic/nic-layout.js';
import { SlidingPeak } from '../../src/feed/sliding-peak.js';

describe('drops explained with their mechanism and numbers', () => {
  const membership = (dropped: Record<string, number>, socketDrops: number | null) => ({ group: '239.100.1.1:26400', account: { dropped, detected: { ringOverrun: 0, oflow: 0, socketDrops } } });
  it('a kernel socket overflow names the rcvbuf granted, the measured room, the true size and the burst', () => {
    const s = { nic: { peak100msRunPackets: 4265 }, stacks: [], subscribers: [{ name: 'book1', receive: 'onload', stack: 1, memberships: [membership({ 'oflow-drop': 1924 }, 1924)] }] };
    const [d] = explainDrops(s as never, [{ name: 'book1', rcvbuf: undefined, delayNs: 0 } as never], () => ({ grantedBytes: 212992, datagrams: 256, payloadBytes: 55 }));
    expect(d.text).toBe("book1's kernel socket for 239.100.1.1:26400 (rcvbuf default, 208 KB granted: room for about 256 of these 55-byte datagrams, measured, since the kernel charges each its buffer's true size, about 832 bytes, not its payload) overflowed: 1,924 datagrams dropped (the kernel counted 1,924 at the socket); the feed peaked at 4,265 packets in 100 ms. Raise rcvbuf (net.core.rmem_max caps it), or read faster.");
  });
  it('a ring overrun names the ring and its size', () => {
    const s = { nic: { peak100msRunPackets: 0 }, stacks: [{ id: 3, ringSlots: 4096 }], subscribers: [{ name: 'slow', receive: 'onload', stack: 3, memberships: [membership({ 'ring-overrun': 10 }, null)] }] };
    const [d] = explainDrops(s as never, [{ name: 'slow', delayNs: 2e6 } as never], () => null);
    expect(d.text).toContain("slow was lapped on stack 3's ring (4,096 slots, shared by every socket of the stack): 10 packets of 239.100.1.1:26400 were overwritten before it read them (it spends 2.0 ms a packet)");
  });
});

describe('the NIC\'s lag buckets and the feed\'s peak', () => {
  it('a bucket bounds its lag to within ×1.5', () => {
    for (const ns of [1, 2, 3, 100, 999, 1000, 1500, 123456, 8e6, 2e9]) {
      const top = lagBucketTop(lagBucket(ns));
      expect(top, String(ns)).toBeGreaterThanOrEqual(ns);
      expect(top, String(ns)).toBeLessThanOrEqual(ns * 1.5 + 1);
    }
  });
  it('the peak of the last interval starts again from what the window holds', () => {
    const p = new SlidingPeak(100);
    for (let t = 0; t < 50; t++) p.add(t, 0);
    expect(p.peakPackets).toBe(50);
    p.resetPeak();
    p.add(200, 0);
    expect(p.peakPackets).toBe(50);
    p.resetPeak();
    expect(p.peakPackets).toBe(1);
  });
});
