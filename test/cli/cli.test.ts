import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classicPcap } from '../helpers/capture-build.js';
import { mdlab } from '../helpers/cli.js';
import { CAPTURES, HAS_INTEROP, INTEROP_NOTE } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();

/** A user-facing error: exit 1, one line on stderr naming the problem, no stack. */
function expectOneLineError(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^mdlab: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
}

describe('mdlab command line', () => {
  it('--help lists every command, and every command has --help', () => {
    const r = mdlab(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['synth', 'inspect']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
      const h = mdlab([cmd, '--help']);
      expect(h.code, cmd).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`Usage: mdlab ${cmd}`));
    }
  });

  it('synth writes byte-identical files for one seed and prints a --json summary', () => {
    const a = tmp.file('a.pcap');
    const b = tmp.file('b.pcap');
    const ra = mdlab(['synth', '--seed', '9', '--duration', '1500ms', '--rate', '500', '--symbols', '40', '--out', a, '--json']);
    const rb = mdlab(['synth', '--seed', '9', '--duration', '1500ms', '--rate', '500', '--symbols', '40', '--out', b]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const s = JSON.parse(ra.stdout);
    expect(s).toMatchObject({ file: a, seed: 9, durationMs: 1500 });
    expect(s.channels).toHaveLength(4);
    expect(rb.stdout).toContain(`sha256 ${s.sha256}`);
    // Same file through inspect: the counts agree.
    const i = JSON.parse(mdlab(['inspect', a, '--json']).stdout);
    expect(i.packets).toBe(s.packets);
    expect(i.messages).toBe(s.messages);
    expect(Object.keys(i.messagesByType).sort()).toEqual(Object.keys(s.messagesByType).sort());
  });

  it('inspect --json names its counts plainly', () => {
    const f = tmp.file('i.pcap');
    mdlab(['synth', '--seed', '1', '--duration', '1s', '--rate', '200', '--symbols', '20', '--channels', '2', '--out', f]);
    const r = mdlab(['inspect', f, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    for (const k of ['packets', 'messages', 'messagesByType', 'groups', 'sessions', 'timeSpan', 'peakRate', 'skippedFrames', 'malformed']) expect(s).toHaveProperty(k);
    expect(s.groups.map((g: { group: string }) => g.group)).toEqual(['239.100.1.1:26400', '239.100.1.2:26400']);
    expect(s.peakRate.map((p: { window: string }) => p.window)).toEqual(['1ms', '100ms', '1s']);
  });

  it.skipIf(!HAS_INTEROP)(`inspect prints the right counts for the real captures${INTEROP_NOTE}`, () => {
    const r = mdlab(['inspect', `${CAPTURES}/Multiple.Packets.pcap`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/packets 2 · messages 39/);
    expect(r.stdout).toMatch(/233\.54\.12\.111:26477/);
  });

  it('bad input gets one clear line and a non-zero exit, never a stack trace', () => {
    const good = classicPcap({ littleEndian: true, nanosecond: true, linktype: 1 }, [{ sec: 1, frac: 0, data: new Uint8Array(60) }]);
    const truncated = tmp.file('t.pcap', good.subarray(0, good.length - 5));
    expectOneLineError(mdlab(['inspect', truncated]), /t\.pcap: byte 24 \(record 1\): truncated record/);
    expectOneLineError(mdlab(['inspect', tmp.file('missing.pcap')]), /missing\.pcap: no such file/);
    expectOneLineError(mdlab(['inspect', tmp.file('junk.bin', 'hello world')]), /not a recording mdlab reads/);
    expectOneLineError(mdlab(['synth', '--seed', 'x', '--duration', '1s', '--out', tmp.file('x.pcap')]), /--seed "x": expected a whole number/);
    expectOneLineError(mdlab(['synth', '--seed', '1', '--duration', '10 parsecs', '--out', tmp.file('x.pcap')]), /--duration "10 parsecs": expected a number with a unit/);
    expectOneLineError(mdlab(['synth', '--seed', '1', '--duration', '1s', '--group-base', '10.0.0.1', '--out', tmp.file('x.pcap')]), /10\.0\.0\.1 is not a multicast address/);
    expectOneLineError(mdlab(['synth', '--seed', '1', '--duration', '1s', '--port', '70000', '--out', tmp.file('x.pcap')]), /--port "70000": expected a whole number from 1 to 65535/);
    expectOneLineError(mdlab(['synth', '--seed', '1', '--duration', '1s', '--mix', 'buy=1', '--out', tmp.file('x.pcap')]), /--mix "buy=1"/);
  });

  it('an output that cannot be written is one line naming the option, before any work starts (never an internal error, never a hang)', () => {
    const missing = tmp.file('no-such-dir') + '/x';
    expectOneLineError(mdlab(['synth', '--seed', '1', '--duration', '1s', '--out', `${missing}/x.pcap`]), /--out ".*x\.pcap": cannot write there \(no such directory: /);
    expectOneLineError(mdlab(['synth', '--seed', '1', '--duration', '1s', '--out', tmp.dir]), /--out ".*": is a directory, expected a file to write/);
    expectOneLineError(mdlab(['record', '--group', '239.100.77.9:26400', '--duration', '1s', '--out', `${missing}/r.pcap`]), /--out ".*r\.pcap": cannot write there \(no such directory/);
    expectOneLineError(mdlab(['run', 'configs/ef-name-trap.yaml', '--headless', '--quiet', '--duration', '1s', '--json', `${missing}/r.json`]), /--json ".*r\.json": cannot write there \(no such directory/);
    // Node's own recursive mkdir never returns for a path under /proc: this one answers at once.
    const proc = mdlab(['run', 'configs/ef-name-trap.yaml', '--headless', '--quiet', '--duration', '1s', '--out', '/proc/mdlab-results'], {}, 20_000);
    expectOneLineError(proc, /--out "\/proc\/mdlab-results": cannot write results there/);
    const file = tmp.file('plain.txt', 'x');
    expectOneLineError(mdlab(['run', 'configs/ef-name-trap.yaml', '--headless', '--quiet', '--duration', '1s', '--out', `${file}/r`]), /cannot write results there \(a part of it is a file, not a directory\)/);
    expectOneLineError(mdlab(['calibrate', '--out', `${missing}/p.json`]), /--out ".*p\.json": cannot write there/);
  });

  it('inspect of a truncated file still prints what it read, then says where it stopped', () => {
    const f = tmp.file('full.pcap');
    mdlab(['synth', '--seed', '3', '--duration', '1s', '--rate', '300', '--symbols', '20', '--out', f]);
    const bytes = readFileSync(f);
    const cut = tmp.file('cut.pcap', bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = mdlab(['inspect', cut]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/stopped early: .*cut\.pcap: byte \d+ \(record \d+\): truncated record/);
    expect(r.stdout).toMatch(/packets [1-9]/);
  });

  it('an unknown command or option is a usage error, not a crash', () => {
    const r = mdlab(['frobnicate']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown command/);
    const o = mdlab(['inspect', '--frob', 'x']);
    expect(o.code).not.toBe(0);
    expect(o.stderr).toMatch(/unknown option/);
  });

  it('MDLAB_DEBUG=1 adds the stack to an internal error only on request', () => {
    const r = mdlab(['inspect', tmp.file('missing2.pcap')], { MDLAB_DEBUG: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MdlabError|at /);
  });
});
