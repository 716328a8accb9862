/**
 * The NIC's per-membership counters, added in batches (issue 16): what the NIC sent under a
 * steering table is credited to that table's members and paths, even when the controller has
 * published a new table before the batch is flushed. Real shared memory, the controller's own
 * steering writer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemberCounter } from '../../src/nic/member-counter.js';
import { MEMBER_ACTIVE, MEMBER_ENDED, NicSegment, PATH_BYPASS, PATH_KERNEL } from '../../src/nic/nic-layout.js';
import { SteeringCache } from '../../src/nic/steering-cache.js';
import { segmentName, unlinkSegment } from '../../src/shm/segment.js';

const names: string[] = [];
afterEach(() => {
  for (const n of names.splice(0)) unlinkSegment(n);
});

function setup() {
  const name = segmentName(process.pid, `members${names.length}`);
  names.push(name);
  const ctl = NicSegment.create(name);
  ctl.setGroup(0, 0xef640101, 26400);
  const nic = NicSegment.attach(name);
  const steering = new SteeringCache();
  return { ctl, nic, steering, counts: new MemberCounter(nic, steering, 1) };
}

const member = (index: number, path: number, state = MEMBER_ACTIVE) => ({ index, group: 0, path, stackSlot: 0, subscriber: index, state });

describe('the NIC member counters', () => {
  it('credits a batch to the table it was sent under when a leave moves the other member from kernel to bypass', () => {
    const { ctl, nic, counts } = setup();
    // Two handlers on separate stacks of a NIC without replication: both on the kernel.
    ctl.publishSteering([{ kernel: true, stackMask: 0 }], [member(0, PATH_KERNEL), member(1, PATH_KERNEL)]);
    expect(counts.refresh()).toBe(true);
    for (let i = 0; i < 5; i++) counts.count(0);
    // Nothing is visible until the batch is flushed.
    expect(nic.member(0).sent).toBe(0);
    // book2 leaves: book1 gets the filter back. The NIC reads the new table before it flushes.
    ctl.publishSteering([{ kernel: false, stackMask: 1 }], [member(0, PATH_BYPASS), member(1, PATH_KERNEL, MEMBER_ENDED)]);
    expect(counts.refresh()).toBe(true);
    for (let i = 0; i < 3; i++) counts.count(0);
    counts.flush();
    expect([nic.member(0).sent, nic.member(0).viaKernel, nic.member(0).viaBypass]).toEqual([8, 5, 3]);
    expect([nic.member(1).sent, nic.member(1).viaKernel, nic.member(1).viaBypass]).toEqual([5, 5, 0]);
  });

  it('adds nothing twice, and nothing when no table changed', () => {
    const { ctl, nic, counts } = setup();
    ctl.publishSteering([{ kernel: false, stackMask: 1 }], [member(0, PATH_BYPASS)]);
    counts.refresh();
    counts.count(0);
    counts.flush();
    counts.flush();
    expect(counts.refresh()).toBe(false);
    expect(nic.member(0).viaBypass).toBe(1);
  });
});
