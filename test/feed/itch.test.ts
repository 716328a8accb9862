import { describe, expect, it } from 'vitest';
import { checkMessage, decodeMessage, encodeToBuffer, formatItchTime, formatPrice4, formatPrice8, type ItchMessage } from '../../src/feed/itch/codec.js';
import { MESSAGES, type FieldDef } from '../../src/feed/itch/layout.js';

// Total lengths read off the layouts in ../shared/specs/nasdaq-totalview-itch-5.0.txt
// (last field's offset + length), section by section.
const SPEC_LENGTHS: Record<string, number> = {
  S: 12, R: 39, H: 25, Y: 20, L: 26, V: 35, W: 12, K: 28, J: 35, h: 21,
  A: 36, F: 40, E: 31, C: 36, X: 23, D: 19, U: 35, P: 44, Q: 40, B: 19, I: 50, N: 20, O: 48,
};

function sampleValue(f: FieldDef, i: number): string | number | bigint {
  switch (f.kind) {
    case 'char':
      return String.fromCharCode(65 + (i % 26));
    case 'alpha':
      return 'ZYXWVUTS'.slice(0, Math.max(1, f.length - 1)); // shorter than the field: exercises padding
    case 'u16':
      return 0xfedc - i;
    case 'u32':
    case 'price4':
      return 0xfedcba98 - i;
    case 'u48':
      return 86_399_999_999_999 - i;
    case 'u64':
    case 'price8':
      return 0xfedcba9876543210n - BigInt(i); // above 2^53: must survive as bigint
  }
}

function sample(type: string): ItchMessage {
  const def = MESSAGES.find((m) => m.type === type)!;
  const msg: ItchMessage = { type, stockLocate: 0xabcd, trackingNumber: 0x1234, timestamp: 34_199_999_894_278 };
  def.fields.forEach((f, i) => (msg[f.name] = sampleValue(f, i)));
  return msg;
}

describe('ITCH 5.0 layouts (spec sections 1.1-1.8)', () => {
  it('defines every message type of the specification, with the spec\'s lengths', () => {
    expect(Object.fromEntries(MESSAGES.map((m) => [m.type, m.length]))).toEqual(SPEC_LENGTHS);
  });

  it('lays fields end to end from offset 11 with no gaps', () => {
    for (const m of MESSAGES) {
      let off = 11;
      for (const f of m.fields) {
        expect(f.offset, `${m.type}.${f.name}`).toBe(off);
        off += f.length;
      }
      expect(off).toBe(m.length);
    }
  });
});

describe('ITCH 5.0 codec', () => {
  it.each(MESSAGES.map((m) => m.type))('round-trips message %s byte-exactly with every field intact', (type) => {
    const msg = sample(type);
    const bytes = encodeToBuffer(msg);
    expect(bytes.length).toBe(SPEC_LENGTHS[type]);
    const back = decodeMessage(bytes);
    expect(back).toEqual(msg);
    expect(encodeToBuffer(back)).toEqual(bytes);
  });

  it('decodes the real Add Order quoted in DESIGN §7', () => {
    const hex = '41 1598 0000 1f1aced85306 000000000166b53e 42 00000640 49564f4f20202020 000d55ac'.replace(/ /g, '');
    const m = decodeMessage(Buffer.from(hex, 'hex'));
    expect(m).toEqual({
      type: 'A', stockLocate: 5528, trackingNumber: 0, timestamp: 34_199_999_894_278,
      orderReferenceNumber: 23508286n, buySellIndicator: 'B', shares: 1600, stock: 'IVOO', price: 873900,
    });
    expect(formatItchTime(m.timestamp)).toBe('09:29:59.999894278');
    expect(formatPrice4(m.price as number)).toBe('87.3900');
  });

  it('formats Price(8) with 8 implied decimals', () => {
    expect(formatPrice8(123456789012n)).toBe('1234.56789012');
  });

  it('right-pads alpha fields with spaces and strips only spaces on decode', () => {
    const msg = { ...sample('A'), stock: 'AB' };
    const bytes = encodeToBuffer(msg);
    expect(bytes.subarray(24, 32).toString('latin1')).toBe('AB      ');
    expect(decodeMessage(bytes).stock).toBe('AB');
  });

  it('rejects an unknown type and a message shorter than its layout, saying which', () => {
    expect(checkMessage(Buffer.from([0x5a, 0, 0]), 0, 3)).toMatchObject({ ok: false, reason: 'itch-unknown-type' });
    const short = encodeToBuffer(sample('E')).subarray(0, 30);
    const r = checkMessage(short, 0, short.length);
    expect(r).toMatchObject({ ok: false, reason: 'itch-short' });
    expect(r.ok ? '' : r.detail).toContain("'E'");
    expect(() => decodeMessage(short)).toThrow(/is 30 bytes, the layout needs 31/);
  });

  it('refuses to encode values that do not fit their fields', () => {
    expect(() => encodeToBuffer({ ...sample('A'), stock: 'TOOLONGXX' })).toThrow(/longer than 8 bytes/);
    expect(() => encodeToBuffer({ ...sample('A'), shares: -1 })).toThrow(/shares/);
    expect(() => encodeToBuffer({ ...sample('A'), shares: 2 ** 32 })).toThrow(/shares/);
    expect(() => encodeToBuffer({ ...sample('D'), orderReferenceNumber: undefined as unknown as number })).toThrow(/missing/);
  });
});
