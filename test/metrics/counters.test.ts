import { describe, expect, it } from 'vitest';
import { COUNTERS, describeCounters } from '../../src/metrics/counters.js';
import { DROP_DESCRIPTIONS } from '../../src/experiment/accounting.js';
import { account } from '../../src/experiment/accounting.js';

describe('the counter registry (as Onload\'s stats_def.h)', () => {
  it('has unique ids and unique names, each with a description', () => {
    expect(new Set(COUNTERS.map((c) => c.id)).size).toBe(COUNTERS.length);
    expect(new Set(COUNTERS.map((c) => c.name)).size).toBe(COUNTERS.length);
    for (const c of COUNTERS) expect(c.description.length, c.name).toBeGreaterThan(20);
  });

  it('defines every drop cause the accounting can produce', () => {
    for (const cause of Object.keys(DROP_DESCRIPTIONS)) {
      if (cause === 'in-flight') continue;
      expect(COUNTERS.some((c) => c.name === `dropped.${cause}`), cause).toBe(true);
    }
  });

  it('defines every field of an account', () => {
    const a = account({ state: 1, path: 1, sent: 1, viaBypass: 1, viaKernel: 0, lost: 0, viaOffload: 0, injected: 0 }, undefined, 'running');
    for (const k of ['sent', 'delivered.bypass', 'delivered.kernel', 'delivered.offload', 'inFlight', 'detected.ringOverrun', 'detected.oflow']) {
      expect(COUNTERS.some((c) => c.name === k), k).toBe(true);
    }
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['sent', 'delivered', 'dropped', 'detected', 'inFlight']));
  });

  it('prints as AeronStat does: id: name - description', () => {
    expect(describeCounters()).toMatch(/^ +13: dropped\.ring-overrun - the NIC lapped this reader/m);
  });
});
