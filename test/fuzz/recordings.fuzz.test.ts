/**
 * Mutated recordings (issue 17): truncation, bit flips, header fields, pcapng block lengths,
 * MoldUDP64 message counts past the packet, short ITCH messages, gzip garbage. Each is read
 * to its end as `mdlab inspect` reads it: it succeeds, or fails with one line naming the file
 * and the place; no case hangs, and memory stays bounded across all of them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspectFeed } from '../../src/feed/inspect.js';
import { openFeed } from '../../src/feed/open-feed.js';
import { mdlab } from '../helpers/cli.js';
import { pcapng } from '../helpers/capture-build.js';
import { tempDir } from '../helpers/tmp.js';
import { CASES, expectUserError, SEED, within } from './fuzz-helpers.js';

const tmp = tempDir('mdlab-fuzz-');
const bases: Record<string, Buffer> = {};

/** Offsets of each record's UDP payload in a classic pcap of Ethernet frames (no VLAN). */
function pcapPayloads(b: Buffer): number[] {
  const out: number[] = [];
  let o = 24;
  while (o + 16 <= b.length) {
    const incl = b.readUInt32LE(o + 8);
    if (incl >= 42 + 20) out.push(o + 16 + 42);
    o += 16 + incl;
  }
  return out;
}

/** Offsets of each pcapng block's length field. */
function pcapngBlocks(b: Buffer): number[] {
  const out: number[] = [];
  let o = 0;
  while (o + 12 <= b.length) {
    out.push(o + 4);
    const len = b.readUInt32LE(o + 4);
    if (len < 12) break;
    o += len;
  }
  return out;
}

/** Offsets of each message's length prefix in a binary ITCH file. */
function itchPrefixes(b: Buffer): number[] {
  const out: number[] = [];
  let o = 0;
  while (o + 2 <= b.length) {
    out.push(o);
    o += 2 + b.readUInt16BE(o);
  }
  return out;
}

beforeAll(() => {
  const pcapFile = join(tmp.dir, 'base.pcap');
  const r = mdlab(['synth', '--seed', '7', '--duration', '150ms', '--channels', '2', '--rate', '3000', '--out', pcapFile]);
  expect(r.code, r.stderr).toBe(0);
  bases.pcap = readFileSync(pcapFile);
  // pcapng of the same frames, and a binary ITCH file of the same messages.
  const frames: { ts: bigint; data: Uint8Array }[] = [];
  const itch: Buffer[] = [];
  let o = 24;
  while (o + 16 <= bases.pcap.length && frames.length < 200) {
    const incl = bases.pcap.readUInt32LE(o + 8);
    const data = bases.pcap.subarray(o + 16, o + 16 + incl);
    frames.push({ ts: BigInt(bases.pcap.readUInt32LE(o)) * 1_000_000n + BigInt(bases.pcap.readUInt32LE(o + 4)), data });
    const count = data.readUInt16BE(42 + 18);
    let p = 42 + 20;
    for (let i = 0; i < count && count !== 0xffff; i++) {
      const len = data.readUInt16BE(p);
      itch.push(data.subarray(p, p + 2 + len));
      p += 2 + len;
    }
    o += 16 + incl;
  }
  bases.pcapng = pcapng(true, [{ linktype: 1, tsresol: 9 }], frames.map((f) => ({ iface: 0, ts: f.ts, data: f.data })));
  bases.itch = Buffer.concat(itch);
  bases['pcap.gz'] = gzipSync(bases.pcap);
  bases['itch.gz'] = gzipSync(bases.itch);
});

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; bits: number[] }
  | { kind: 'field'; at: number; width: 1 | 2 | 4; value: number }
  | { kind: 'pcapng-length'; block: number; value: number }
  | { kind: 'mold-count'; record: number; value: number }
  | { kind: 'itch-short'; message: number; value: number }
  | { kind: 'gzip-garbage'; at: number; bytes: number[] };

const value = fc.oneof(fc.constantFrom(0, 1, 2, 3, 11, 12, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff), fc.nat());
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), bits: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('field' as const), at: fc.nat(), width: fc.constantFrom(1 as const, 2 as const, 4 as const), value }),
  fc.record({ kind: fc.constant('pcapng-length' as const), block: fc.nat(), value }),
  fc.record({ kind: fc.constant('mold-count' as const), record: fc.nat(), value: fc.oneof(fc.constantFrom(0xfffe, 0xffff, 1000), fc.nat({ max: 0xffff })) }),
  fc.record({ kind: fc.constant('itch-short' as const), message: fc.nat(), value: fc.nat({ max: 12 }) }),
  fc.record({ kind: fc.constant('gzip-garbage' as const), at: fc.nat(), bytes: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 16 }) }),
);
const kinds = ['pcap', 'pcapng', 'itch', 'pcap.gz', 'itch.gz'] as const;

function apply(kind: (typeof kinds)[number], muts: Mutation[]): Buffer {
  let b = Buffer.from(bases[kind]);
  for (const m of muts) {
    if (b.length === 0) break;
    switch (m.kind) {
      case 'truncate':
        b = b.subarray(0, m.at % (b.length + 1));
        break;
      case 'flip':
        for (const bit of m.bits) b[(bit >> 3) % b.length] ^= 1 << (bit & 7);
        break;
      case 'field': {
        const at = m.at % b.length;
        if (at + m.width > b.length) break;
        if (m.width === 1) b[at] = m.value & 0xff;
        else if (m.width === 2) b.writeUInt16BE(m.value & 0xffff, at);
        else b.writeUInt32LE(m.value >>> 0, at);
        break;
      }
      case 'pcapng-length': {
        const blocks = kind === 'pcapng' ? pcapngBlocks(b) : [];
        if (blocks.length > 0) b.writeUInt32LE(m.value >>> 0, blocks[m.block % blocks.length]);
        break;
      }
      case 'mold-count': {
        const recs = kind === 'pcap' ? pcapPayloads(b) : [];
        const at = recs.length > 0 ? recs[m.record % recs.length] + 18 : -1;
        if (at >= 0 && at + 2 <= b.length) b.writeUInt16BE(m.value, at);
        break;
      }
      case 'itch-short': {
        const pre = kind === 'itch' ? itchPrefixes(b) : [];
        const at = pre.length > 0 ? pre[m.message % pre.length] : -1;
        if (at >= 0 && at + 2 <= b.length) b.writeUInt16BE(m.value, at);
        break;
      }
      case 'gzip-garbage': {
        if (!kind.endsWith('.gz')) break;
        const at = 10 + (m.at % Math.max(1, b.length - 10));
        m.bytes.forEach((x, i) => {
          if (at + i < b.length) b[at + i] = x;
        });
        break;
      }
    }
  }
  return b;
}

describe('fuzz: mutated recordings', () => {
  it(`${CASES} cases (seed ${SEED}): each reads to its end, or fails with one line naming the file and the place`, async () => {
    const file = join(tmp.dir, 'mutant');
    let accepted = 0;
    let rejected = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...kinds), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (kind, muts) => {
        const path = `${file}.${kind}`;
        writeFileSync(path, apply(kind, muts));
        const what = `${kind} ${JSON.stringify(muts)}`;
        try {
          const reader = await within(openFeed(path), 5000, what);
          try {
            await within(inspectFeed(reader), 5000, what);
          } finally {
            reader.close();
          }
          accepted++;
        } catch (err) {
          if (err instanceof Error && /hung for/.test(err.message)) throw err;
          expectUserError(err, path, what);
          rejected++;
        }
      }),
      { numRuns: CASES, seed: SEED, endOnFailure: true },
    );
    const growth = process.memoryUsage().heapUsed - heapBefore;
    expect(growth, 'heap growth across all cases').toBeLessThan(256 << 20);
    expect(accepted + rejected).toBe(CASES);
    // Both outcomes happen: a fuzzer that only ever hits one of them is not exploring.
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
    if (process.env.MDLAB_LONG === '1') process.stdout.write(`recordings fuzz: ${CASES} cases, ${accepted} read whole, ${rejected} rejected with one line, heap growth ${(growth / 1e6).toFixed(1)} MB\n`);
  }, 1_800_000);
});
