/** Big-endian reads and writes the DataView lacks, on the packet buffer itself (no copies). */

export function readU48(v: DataView, off: number): number {
  return v.getUint16(off) * 0x1_0000_0000 + v.getUint32(off + 2);
}

export function writeU48(v: DataView, off: number, value: number): void {
  v.setUint16(off, Math.floor(value / 0x1_0000_0000));
  v.setUint32(off + 2, value >>> 0);
}

/** u64 as a number: exact below 2^53, which order references and match numbers stay under. */
export function readU64Number(v: DataView, off: number): number {
  return v.getUint32(off) * 0x1_0000_0000 + v.getUint32(off + 4);
}

export function writeU64Number(v: DataView, off: number, value: number): void {
  v.setUint32(off, Math.floor(value / 0x1_0000_0000));
  v.setUint32(off + 4, value >>> 0);
}

/** Reads `length` ASCII bytes, dropping the right padding (spaces only, so encode restores them). */
export function readAlpha(bytes: Uint8Array, off: number, length: number): string {
  let end = off + length;
  while (end > off && bytes[end - 1] === 0x20) end--;
  let s = '';
  for (let i = off; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Writes ASCII left-justified and space-padded; longer input is an error, not a truncation. */
export function writeAlpha(bytes: Uint8Array, off: number, length: number, value: string, what = 'alpha field'): void {
  if (value.length > length) throw new RangeError(`${what} ${JSON.stringify(value)} is longer than ${length} bytes`);
  for (let i = 0; i < length; i++) {
    const c = i < value.length ? value.charCodeAt(i) : 0x20;
    if (c > 0x7f) throw new RangeError(`${what} ${JSON.stringify(value)} is not ASCII`);
    bytes[off + i] = c;
  }
}

/** Exact (high·2^32 + low) / divisor for divisor < 2^31: long division on 16-bit limbs. */
export function divmodU64(high: number, low: number, divisor: number): { quotient: number; remainder: number } {
  const limbs = [high >>> 16, high & 0xffff, low >>> 16, low & 0xffff];
  let rem = 0;
  let q = 0;
  for (const limb of limbs) {
    const cur = rem * 0x10000 + limb;
    const digit = Math.floor(cur / divisor);
    rem = cur - digit * divisor;
    q = q * 0x10000 + digit;
  }
  return { quotient: q, remainder: rem };
}

export function ipv4ToString(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function isMulticast(addr: number): boolean {
  return addr >>> 28 === 0xe;
}
