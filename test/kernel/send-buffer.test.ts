/**
 * The addon's socketSendBuffer: SO_SNDBUF(FORCE) on a socket the NIC writes to (an offloaded
 * socket's queue is its sender's send buffer). The kernel reports twice what it grants.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addonModule } from '../../src/shm/segment.js';

describe('socketSendBuffer', () => {
  it('grants the request (forced where the process may, else up to net.core.wmem_max)', () => {
    const a = addonModule();
    const fd = a.udpOpen(0x7f000001, 0);
    try {
      const wmemMax = Number(readFileSync('/proc/sys/net/core/wmem_max', 'utf8'));
      const granted = a.socketSendBuffer(fd, 4 << 20);
      // Forced: 2 × 4 MB; not permitted: the cap, doubled.
      expect([2 * (4 << 20), 2 * Math.min(4 << 20, wmemMax)]).toContain(granted);
      expect(a.socketSendBuffer(fd, 65536)).toBe(2 * 65536);
    } finally {
      a.captureClose(fd);
    }
  });

  it('says what it expected, and what failed, in one line', () => {
    const a = addonModule();
    expect(() => a.socketSendBuffer(-1, 1000)).toThrow(/expected \(fd, bytes\) with bytes above 0/);
    expect(() => a.socketSendBuffer(0, 0)).toThrow(/expected \(fd, bytes\) with bytes above 0/);
    expect(() => a.socketSendBuffer(0, -5)).toThrow(/expected \(fd, bytes\) with bytes above 0/);
    expect(() => a.socketSendBuffer(987654, 1000)).toThrow(/cannot set SO_SNDBUF/);
  });
});
