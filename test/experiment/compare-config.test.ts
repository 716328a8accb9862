import { describe, expect, it } from 'vitest';
import { configDifferences } from '../../src/experiment/compare-config.js';

const base = {
  file: 'a.yaml', name: 'a', recording: '/x/recordings/default.pcap', speed: 1, durationNs: 3e9, nic: { name: 'sfn6122f', replication: false, description: 'Siena' },
  subscribers: [{ name: 'book1', efName: null, pollUsec: 0, receive: 'onload', groups: ['239.100.1.1:26400'] }, { name: 'quotes', efName: null, pollUsec: 100000, receive: 'onload', groups: ['239.100.1.3:26400'] }],
  groups: ['239.100.1.1:26400', '239.100.1.3:26400'],
};

describe('what differs between two configs', () => {
  it('names the NIC, each subscriber\'s Onload settings by name, speeds and durations in a user\'s words', () => {
    const b = structuredClone(base) as typeof base & Record<string, unknown>;
    b.file = 'b.yaml';
    b.recording = '/elsewhere/recordings/default.pcap';
    b.nic = { name: 'x2522', replication: true, description: 'X2522' };
    b.speed = 0;
    b.durationNs = 1.5e9;
    // The same subscribers in another order: matched by name.
    b.subscribers = [{ ...base.subscribers[1], receive: 'ef_vi' }, { ...base.subscribers[0], efName: 'feed' as unknown as null }];
    expect(configDifferences(base, b)).toEqual([
      { key: 'speed', a: '1', b: 'top' },
      { key: 'duration', a: '3 s', b: '1.5 s' },
      { key: 'NIC model', a: 'sfn6122f', b: 'x2522' },
      { key: 'NIC multicast replication', a: 'false', b: 'true' },
      { key: 'book1: EF_NAME', a: '- (own stack)', b: 'feed' },
      { key: 'quotes: receive mode', a: 'onload', b: 'ef_vi' },
    ]);
  });

  it('the same config is no difference; a subscriber on one side only is one line', () => {
    expect(configDifferences(base, structuredClone(base))).toEqual([]);
    const c = structuredClone(base);
    c.subscribers = [c.subscribers[0]];
    expect(configDifferences(base, c)).toEqual([{ key: 'subscriber quotes', a: 'present', b: 'absent' }]);
  });
});
