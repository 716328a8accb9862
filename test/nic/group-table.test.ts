import { describe, expect, it } from 'vitest';
import { GroupTable } from '../../src/nic/group-table.js';

describe('the NIC\'s group table', () => {
  it('finds every (group, port) it was given, and nothing else, across collisions', () => {
    const t = new GroupTable(64);
    const keys: [number, number][] = [];
    for (let i = 0; i < 64; i++) keys.push([(0xef640100 + i) >>> 0, 26400 + (i % 3)]);
    keys.forEach(([a, p], i) => t.set(a, p, i));
    keys.forEach(([a, p], i) => expect(t.get(a, p)).toBe(i));
    expect(t.get(0xef640100, 26401)).toBe(-1);
    expect(t.get(0xef6401ff, 26400)).toBe(-1);
    expect(t.get(0x0a000001, 26400)).toBe(-1);
  });
});
