/**
 * The audit's config defects (issue 17), each as it was reproduced: every one now gets one line
 * naming the file and the key or line, before any process starts, through the real CLI.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigFile } from '../../src/experiment/config.js';
import { sweepPoints } from '../../src/experiment/sweep.js';
import { mdlab } from '../helpers/cli.js';
import { ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const recording = join(ROOT, 'recordings', 'default.pcap');
const base = `recording: ${recording}\nsubscribers:\n  - name: a\n    groups: [239.100.1.1:26400]\n`;

/** Runs `mdlab run FILE --headless` and returns its stderr, which must be exactly one line. */
function oneLine(name: string, text: string): string {
  const f = tmp.file(name, text);
  const r = mdlab(['run', f, '--headless', '--quiet'], {}, 20_000);
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).not.toMatch(/internal error|at .*\.js:\d+|Error:/);
  expect(r.stdout).toBe('');
  return lines[0].replace(`${tmp.dir}/`, '');
}

describe('config defects from the audit: one line, the file and the key or line', () => {
  it.each([
    ['an empty config', 'empty.yaml', '', 'empty.yaml: the config is empty'],
    ['a whitespace-only config', 'space.yaml', '  \n\n', 'space.yaml: the config is empty'],
    ['a null config', 'null.yaml', 'null\n', 'null.yaml: expected a mapping with keys name, description, recording'],
    ['an unresolved tag', 'tag.yaml', `${base}description: !custom x\n`, 'tag.yaml: line 5, column 14: Unresolved tag: !custom'],
    ['another YAML version', 'ver.yaml', `%YAML 9.9\n---\n${base}`, 'ver.yaml: line 1, column 7: Unsupported YAML version 9.9'],
    ['a collection as a key', 'ckey.yaml', `${base}? [a, b]\n: 1\n`, 'ckey.yaml: line 5, column 3: a key must be a plain word'],
    ['a self-referencing anchor', 'anchor.yaml', `${base}events: &a [*a]\n`, 'anchor.yaml: line 5, column 13: alias *a refers to the node that contains it'],
    ['bad JSON', 'bad.json', `{\n  "recording": "x",\n  bad\n}\n`, 'bad.json: line 3, column 3: Expected double-quoted property name'],
    ['a huge delay', 'delay.yaml', base.replace('    groups', '    delay: 100000000000000000000s\n    groups'), 'delay.yaml: subscribers[0].delay: expected at most 1.00s'],
    ['drops min above max', 'drops.yaml', `${base}expect: [{drops: {min: 5, max: 1}}]\n`, 'drops.yaml: expect[0].drops: min 5 is above max 1'],
    ['a link-local group', 'll.yaml', base.replace('239.100.1.1:26400', '224.0.0.251:5353'), 'll.yaml: subscribers[0].groups[0]: "224.0.0.251:5353": 224.0.0.251 is in 224.0.0.0/24'],
    ['224.0.0.1', 'll1.yaml', base.replace('239.100.1.1:26400', '224.0.0.1:26400'), 'link-local control traffic'],
    ['a leading zero in a group', 'lz.yaml', base.replace('239.100.1.1', '239.100.1.01'), 'lz.yaml: subscribers[0].groups[0]: "239.100.1.01:26400": 239.100.1.01 has a leading zero (some tools read it as octal); write 239.100.1.1'],
    ['a leading zero in a port', 'lp.yaml', base.replace(':26400', ':026400'), 'lp.yaml: subscribers[0].groups[0]: "239.100.1.1:026400": port 026400 has a leading zero; write 26400'],
    ['a recording that is a directory', 'rdir.yaml', base.replace(recording, ROOT), `rdir.yaml: recording: ${ROOT}: is a directory, expected a recording file`],
    ['a recording that is /dev/zero', 'rzero.yaml', base.replace(recording, '/dev/zero'), 'rzero.yaml: recording: /dev/zero: is not a regular file'],
    ['a recording that is /etc/passwd', 'rpass.yaml', base.replace(recording, '/etc/passwd'), 'rpass.yaml: recording: /etc/passwd: byte 0: not a recording mdlab reads'],
    ['a join for a group already joined', 'join.yaml', `${base}events: [{at: 1s, join: {subscriber: a, group: 239.100.1.1:26400}}]\n`, 'join.yaml: events[0].join.group: a is already joined to 239.100.1.1:26400 at 1 s'],
    ['a leave of a group not joined', 'leave.yaml', `${base}events: [{at: 1s, leave: {subscriber: a, group: 239.100.1.2:26400}}]\n`, 'leave.yaml: events[0].leave.group: a is not joined to 239.100.1.2:26400 at 1 s'],
    ['a join after a kill', 'dead.yaml', `${base}events: [{at: 1s, kill: a}, {at: 2s, join: {subscriber: a, group: 239.100.1.2:26400}}]\n`, 'dead.yaml: events[1].join.subscriber: a is not running at 2 s'],
    ['an event after the run', 'late.yaml', `${base}duration: 2s\nevents: [{at: 3s, kill: a}]\n`, 'late.yaml: events[0].at: 3.00s is not before the run ends'],
    ['a prototype key in a sweep', 'proto.yaml', `${base}sweep: {__proto__.delay: [2ms]}\n`, 'proto.yaml: sweep: key "__proto__.delay": __proto__ is not a config key'],
    ['a prototype key deeper in a sweep', 'proto2.yaml', `${base}sweep:\n  subscribers[*].__proto__.polluted: [1]\n`, '__proto__ is not a config key'],
    ['an unknown key in a sweep path', 'unk.yaml', `${base}sweep:\n  subscribers[*].colour: [red]\n`, "subscribers[0].colour: unknown key"],
    ['a sweep past its limit', 'big.yaml', `${base}sweep: {a: [${[...Array(100).keys()]}], b: [${[...Array(100).keys()]}], c: [${[...Array(100).keys()]}], d: [${[...Array(100).keys()]}]}\n`, 'big.yaml: sweep: 100 × 100 × 100 × 100 = 100000000 points; at most 64'],
  ])('%s', (_what, name, text, expected) => {
    expect(oneLine(name, text)).toContain(expected);
  });

  it('a config path that is a directory', () => {
    const d = join(tmp.dir, 'dir.yaml');
    mkdirSync(d);
    const r = mdlab(['run', d, '--headless'], {}, 20_000);
    expect(r.stderr.trimEnd()).toBe(`mdlab: ${d}: is a directory, expected a config file (YAML or JSON)`);
  });

  it('40 subscribers fail at once, naming the subscriber that would make stack 33', () => {
    const subs = [...Array(40).keys()].map((i) => `  - {name: s${i}, groups: [239.100.1.1:26400]}`).join('\n');
    const t0 = Date.now();
    expect(oneLine('many.yaml', `recording: ${recording}\nsubscribers:\n${subs}\n`)).toContain('many.yaml: subscribers[32]: s32 would make stack 33; a lab has at most 32 stacks');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a sweep is counted before it is built, and never reaches a prototype', () => {
    const axes = Object.fromEntries(['a', 'b', 'c', 'd'].map((k) => [k, [...Array(100).keys()]]));
    const before = process.memoryUsage().heapUsed;
    expect(() => sweepPoints({ subscribers: [], sweep: axes }, 'x.yaml')).toThrow(/100000000 points; at most 64/);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(50 << 20);
    expect(() => sweepPoints({ subscribers: [{}], sweep: { 'constructor.prototype.x': [1] } }, 'x.yaml')).toThrow(/constructor is not a config key/);
    expect(({} as Record<string, unknown>).delay).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a JSON error names line and column, and never echoes the text', () => {
    const f = tmp.file('secret.json', '{"recording": "TOPSECRET-VALUE" oops}');
    expect(() => readConfigFile(f)).toThrow(/secret\.json: line 1, column 33/);
    try {
      readConfigFile(f);
    } catch (err) {
      expect((err as Error).message).not.toContain('TOPSECRET');
    }
  });
});

describe('a binary ITCH message longer than --max-bytes', () => {
  it('names the file, the byte and the message', () => {
    const msg = Buffer.alloc(2 + 2000);
    msg.writeUInt16BE(2000, 0);
    msg[2] = 0x41; // 'A' but far too long: carried as it is, and too big for a 1400-byte packet
    const head = Buffer.alloc(2 + 36);
    head.writeUInt16BE(36, 0);
    head[2] = 0x41;
    const f = tmp.file('long.itch', Buffer.concat([head, msg]));
    const r = mdlab(['inspect', f], {}, 20_000);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd()).toBe(`mdlab: ${f}: byte 38 (message 2): a 2000-byte message does not fit a 1400-byte MoldUDP64 packet (20-byte header, 2-byte length): raise --max-bytes (at most 65507), or the file is not binary ITCH`);
  });
});
