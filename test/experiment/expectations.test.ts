import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/experiment/config.js';
import { applies, evaluate, formatVerdicts } from '../../src/experiment/expectations.js';
import type { LabSnapshot } from '../../src/experiment/snapshot.js';
import { sweepPoints } from '../../src/experiment/sweep.js';
import { ROOT } from '../helpers/shared.js';

const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'default-snapshot.json'), 'utf8')) as LabSnapshot;
const file = join(ROOT, 'configs', 'x.yaml');
const base = {
  recording: '../recordings/default.pcap',
  subscribers: [
    { name: 'book1', groups: ['239.100.1.1:26400', '239.100.1.2:26400'] },
    { name: 'book2', groups: ['239.100.1.1:26400', '239.100.1.2:26400'] },
    { name: 'quotes', groups: ['239.100.1.3:26400', '239.100.1.4:26400'] },
  ],
};
const expectations = (expect: unknown[]) => validateConfig({ ...base, expect }, file).expect;

describe('expectations (a fixture snapshot of the default lab: book1 and book2 trapped, quotes by bypass)', () => {
  it('pass where the run did what they say', () => {
    const v = evaluate(expectations([
      { subscriber: 'book1', group: '239.100.1.1:26400', path: 'kernel', cause: 'mcast-conflict' },
      { subscriber: 'quotes', path: 'bypass' },
      { event: { kind: 'fallback', cause: 'mcast-conflict' } },
      { subscriber: 'quotes', p50: '1s' },
      { balanced: true },
      { subscriber: 'quotes', drops: 0 },
    ]), fixture);
    expect(v.map((x) => [x.where, x.passed])).toEqual([['expect[0]', true], ['expect[0]', true], ['expect[1]', true], ['expect[2]', true], ['expect[3]', true], ['expect[4]', true], ['expect[5]', true]]);
  });

  it('fail with what was expected and what happened', () => {
    const v = evaluate(expectations([
      { subscriber: 'book1', path: 'bypass' },
      { subscriber: 'quotes', p99: '1ns' },
      { event: { kind: 'recovery' } },
      { subscriber: 'book1', drops: { min: 1, cause: 'ring-overrun' } },
    ]), fixture);
    expect(v.every((x) => !x.passed)).toBe(true);
    expect(v[0].actual).toMatch(/book1 239\.100\.1\.1:26400: kernel; book1 239\.100\.1\.2:26400: kernel/);
    expect(v[1].check).toMatch(/p99 below 0\.00 µs \(scheduled clock\)/);
    expect(v[2].actual).toMatch(/none among \d+ events/);
    const text = formatVerdicts(v);
    expect(text).toMatch(/^Expectations: 0 passed, 4 failed/);
    expect(text).toMatch(/ {2}FAIL expect\[0\]: book1: path bypass/);
  });

  it('a `when` clause limits an expectation to matching sweep points', () => {
    const [x] = expectations([{ when: { 'nic.model': 'x2522' }, path: 'bypass' }]);
    expect(applies(x, { 'nic.model': 'x2522' })).toBe(true);
    expect(applies(x, { 'nic.model': 'sfn6122f' })).toBe(false);
    expect(evaluate([x], fixture, { 'nic.model': 'sfn6122f' })).toEqual([]);
  });

  it('bad expectations and events are config errors naming the key', () => {
    expect(() => expectations([{ subscriber: 'nobody', path: 'bypass' }])).toThrow(/expect\[0\]\.subscriber: no subscriber named nobody/);
    expect(() => expectations([{ path: 'sideways' }])).toThrow(/expect\[0\]\.path: expected one of bypass, kernel, offload, lost/);
    expect(() => expectations([{ subscriber: 'book1' }])).toThrow(/expect\[0\]: expected at least one check/);
    expect(() => validateConfig({ ...base, events: [{ at: '2s', jump: 'book1' }] }, file)).toThrow(/events\[0\]\.jump: unknown key/);
    expect(() => validateConfig({ ...base, events: [{ at: '2s', kill: 'book1', start: 'book2' }] }, file)).toThrow(/events\[0\]: expected exactly one of join, leave, kill, start, speed, drop, got kill and start/);
    expect(() => validateConfig({ ...base, events: [{ at: 'soon', kill: 'book1' }] }, file)).toThrow(/events\[0\]\.at: expected a duration/);
    expect(() => validateConfig({ ...base, subscribers: [...base.subscribers, { name: 'late', start: false, groups: ['239.100.1.1:26400'] }] }, file)).toThrow(/late has start: false, but no event starts it/);
  });
});

describe('sweeps', () => {
  it('every combination of the listed values, with [*] setting every element', () => {
    const points = sweepPoints({ ...base, sweep: { 'nic.model': ['sfn6122f', 'x2522'], 'subscribers[*].env.EF_NAME': ['', 'feed'] } }, file);
    expect(points.map((p) => p.name)).toEqual(['1-sfn6122f-none', '2-sfn6122f-feed', '3-x2522-none', '4-x2522-feed']);
    const p2 = validateConfig(points[1].raw, file);
    expect(p2.nic.name).toBe('sfn6122f');
    expect(p2.subscribers.map((s) => s.efName)).toEqual(['feed', 'feed', 'feed']);
    expect(validateConfig(points[0].raw, file).subscribers.map((s) => s.efName)).toEqual([null, null, null]);
    expect(validateConfig(points[3].raw, file).nic.name).toBe('x2522');
  });

  it('rejects keys that are not config paths, and empty value lists', () => {
    expect(() => sweepPoints({ ...base, sweep: { 'nic..model': ['x'] } }, file)).toThrow(/sweep: key "nic\.\.model" is not a config path/);
    expect(() => sweepPoints({ ...base, sweep: { speed: [] } }, file)).toThrow(/sweep\.speed: expected a non-empty list/);
  });
});
