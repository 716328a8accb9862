/**
 * A streaming window over a file (plain or gzip): readers parse records in place in `buf`,
 * and call `fill` when a record straddles the end of what has been read. Memory stays at
 * about two chunks whatever the file size; bytes are copied once, chunk by chunk.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { MdlabError } from '../errors.js';

const CHUNK = 1 << 20;

export class ByteInput {
  buf: Buffer;
  view: DataView;
  /** Next unread byte in buf. */
  pos = 0;
  /** End of valid bytes in buf. */
  end = 0;
  /** Offset in the (decompressed) stream of buf[0]. */
  base = 0;
  eof = false;
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(
    private readonly stream: Readable,
    /** The name used in messages: the file's path. */
    readonly name: string,
    readonly compressed: boolean,
  ) {
    this.buf = Buffer.allocUnsafe(2 * CHUNK);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  get available(): number {
    return this.end - this.pos;
  }

  /** Stream offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Reads until `min` bytes are available or the stream ends; true if they are. */
  async fill(min: number): Promise<boolean> {
    if (this.end - this.pos >= min) return true;
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    while (this.end < min && !this.eof) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.chunks.next();
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        throw new MdlabError(`${this.name}: ${this.compressed ? 'gzip stream is corrupt or truncated' : 'read failed'} near byte ${this.base + this.end}: ${detail}`);
      }
      if (r.done) {
        this.eof = true;
        break;
      }
      const chunk = r.value;
      if (this.end + chunk.length > this.buf.length) {
        const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.end + chunk.length));
        this.buf.copy(grown, 0, 0, this.end);
        this.buf = grown;
        this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
      }
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
    }
    return this.end - this.pos >= min;
  }

  close(): void {
    this.stream.destroy();
  }
}

/** Opens a file for streaming, unwrapping gzip when the first bytes say so. */
export async function openByteInput(path: string): Promise<ByteInput> {
  let magic: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      magic = Buffer.alloc(2);
      await fh.read(magic, 0, 2, 0);
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MdlabError(`${path}: no such file`);
    if (code === 'EISDIR') throw new MdlabError(`${path}: is a directory, expected a recording file`);
    if (code === 'EACCES') throw new MdlabError(`${path}: permission denied`);
    throw new MdlabError(`${path}: cannot open: ${(err as Error).message}`);
  }
  const raw = createReadStream(path, { highWaterMark: CHUNK });
  if (magic[0] === 0x1f && magic[1] === 0x8b) {
    const gunzip = createGunzip({ chunkSize: CHUNK });
    raw.on('error', (e) => gunzip.destroy(e));
    return new ByteInput(raw.pipe(gunzip), path, true);
  }
  return new ByteInput(raw, path, false);
}
