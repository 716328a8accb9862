/**
 * The recording's window: a plain file is read in place, chunk by chunk, whatever its size; a
 * closed input hands its window to the next one opened (a looping NIC reopens its recording
 * every pass), and that next one sees only its own file's bytes; reading after close says so.
 * A plain file is read one chunk ahead of the reader.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openByteInput } from '../../src/feed/byte-input.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

async function readAll(path: string): Promise<{ data: Buffer; window: Buffer }> {
  const input = await openByteInput(path);
  const parts: Buffer[] = [];
  let window = input.buf;
  // Records of 1,000 bytes, as a reader takes them: fill, take, move on.
  for (;;) {
    const ok = await input.fill(1000);
    window = input.buf;
    const n = ok ? 1000 : input.available;
    if (n === 0) break;
    parts.push(Buffer.from(input.buf.subarray(input.pos, input.pos + n)));
    input.pos += n;
  }
  input.close();
  return { data: Buffer.concat(parts), window };
}

describe('ByteInput', () => {
  it('reads a plain file larger than its window byte for byte; a gzip one too', async () => {
    const big = bytes(5 * (1 << 20) + 123, 7);
    const plain = tmp.file('big.bin', big);
    expect((await readAll(plain)).data.equals(big)).toBe(true);
    const gz = tmp.file('big.bin.gz', gzipSync(big));
    expect((await readAll(gz)).data.equals(big)).toBe(true);
  });

  it('hands a closed input\'s window to the next, which sees only its own bytes; a read after close is refused', async () => {
    const a = tmp.file('a.bin', bytes(3 * (1 << 20), 1));
    const b = tmp.file('b.bin', bytes(4321, 2));
    const first = await readAll(a);
    const second = await readAll(b);
    expect(second.window).toBe(first.window); // the same 2 MB, reused
    expect(second.data.equals(bytes(4321, 2))).toBe(true);
    const input = await openByteInput(b);
    await input.fill(10);
    input.close();
    input.close();
    await expect(input.fill(5000)).rejects.toThrow(/b\.bin: read after close/);
  });

  it('reads a chunk ahead; closed while that read is under way, the next input still reads only its own bytes', async () => {
    const a = tmp.file('ahead-a.bin', bytes(3 * (1 << 20), 3));
    const b = tmp.file('ahead-b.bin', bytes(2 * (1 << 20) + 77, 4));
    const input = await openByteInput(a);
    await input.fill(10); // the window holds the first chunk; the second is being read
    input.close();
    const next = await readAll(b);
    expect(next.data.equals(bytes(2 * (1 << 20) + 77, 4))).toBe(true);
  });
});
