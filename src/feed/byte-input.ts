/**
 * A streaming window over a file (plain or gzip): readers parse records in place in `buf`,
 * and call `fill` when a record straddles the end of what has been read. Memory stays at
 * about two chunks whatever the file size. A plain file is read straight into the window (no
 * chunk Buffer per read, no copy); a gzip one through the decompressor's chunks, copied once.
 * The window's buffer is handed to the next file opened after this one closes: a looping NIC
 * reopens its recording every pass, and each pass's 2 MB would otherwise be garbage held
 * outside the heap until a full collection (the soak's resident memory grew 0.7 MB a second).
 * A plain file is read one chunk ahead: the next read is under way while the reader parses this
 * one, so that a NIC at top speed does not wait on the disk (before, it sat idle for a quarter
 * of a top-speed replay waiting for each read).
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { MdlabError } from '../errors.js';

const CHUNK = 1 << 20;
const EMPTY = Buffer.alloc(0);
/** A closed input's window and read-ahead chunk, for the next one opened (one is enough: inputs open one after another). */
let spare: Buffer | null = null;
let spareAhead: Buffer | null = null;

/** Where the bytes come from: a plain file read in place, or a stream's chunks. */
type Source = { kind: 'file'; fh: FileHandle; position: number } | { kind: 'stream'; stream: Readable; chunks: AsyncIterator<Buffer> };

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
  private readonly source: Source;
  private closed = false;
  /** A plain file's next chunk, being read while the current one is parsed: its byte count, or why it failed. */
  private ahead: Buffer | null = null;
  private aheadRead: Promise<number | Error> | null = null;
  private aheadPending = false;

  constructor(
    from: { fh: FileHandle } | { stream: Readable },
    /** The name used in messages: the file's path. */
    readonly name: string,
    readonly compressed: boolean,
  ) {
    this.source = 'fh' in from ? { kind: 'file', fh: from.fh, position: 0 } : { kind: 'stream', stream: from.stream, chunks: from.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer> };
    this.buf = spare ?? Buffer.allocUnsafe(2 * CHUNK);
    spare = null;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
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
      if (this.closed) throw new MdlabError(`${this.name}: read after close`);
      if (this.source.kind === 'file') await this.readFile(this.source, min);
      else await this.readStream(this.source);
    }
    return this.end - this.pos >= min;
  }

  /** Takes the chunk read ahead (starting its read if none is under way) into the window, and starts reading the next. */
  private async readFile(src: Extract<Source, { kind: 'file' }>, min: number): Promise<void> {
    if (min > this.buf.length) this.grow(min);
    const got = await (this.aheadRead ?? this.readAhead(src));
    this.aheadRead = null;
    if (this.closed) return;
    if (got instanceof Error) throw new MdlabError(`${this.name}: read failed near byte ${this.base + this.end}: ${got.message}`);
    if (got === 0) {
      this.eof = true;
      return;
    }
    if (this.end + got > this.buf.length) this.grow(this.end + got);
    (this.ahead as Buffer).copy(this.buf, this.end, 0, got);
    src.position += got;
    this.end += got;
    this.aheadRead = this.readAhead(src);
  }

  /** Reads the chunk after what the window holds into the read-ahead buffer; never rejects. */
  private readAhead(src: Extract<Source, { kind: 'file' }>): Promise<number | Error> {
    const b = this.ahead ?? (this.ahead = spareAhead ?? Buffer.allocUnsafe(CHUNK));
    if (b === spareAhead) spareAhead = null;
    this.aheadPending = true;
    const settle = (v: number | Error): number | Error => {
      this.aheadPending = false;
      return v;
    };
    return src.fh.read(b, 0, CHUNK, src.position).then((r) => settle(r.bytesRead), (e: unknown) => settle(e instanceof Error ? e : new Error(String(e))));
  }

  /** Copies the stream's next chunk (a decompressor's) in after what is unread. */
  private async readStream(src: Extract<Source, { kind: 'stream' }>): Promise<void> {
    let r: IteratorResult<Buffer>;
    try {
      r = await src.chunks.next();
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new MdlabError(`${this.name}: ${this.compressed ? 'gzip stream is corrupt or truncated' : 'read failed'} near byte ${this.base + this.end}: ${detail}`);
    }
    if (r.done) {
      this.eof = true;
      return;
    }
    const chunk = r.value;
    if (this.end + chunk.length > this.buf.length) this.grow(this.end + chunk.length);
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  private grow(atLeast: number): void {
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, atLeast));
    this.buf.copy(grown, 0, 0, this.end);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /** Closes the file; the window goes to the next input opened (this one reads nothing more). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.source.kind === 'file') this.source.fh.close().catch(() => undefined);
    else this.source.stream.destroy();
    if (this.buf.length === 2 * CHUNK) spare = this.buf;
    // A read still under way lands in its chunk: that one is not handed on.
    if (this.ahead && !this.aheadPending) spareAhead = this.ahead;
    this.ahead = null;
    this.buf = EMPTY;
    this.view = new DataView(EMPTY.buffer, EMPTY.byteOffset, 0);
    this.pos = this.end = 0;
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
  if (magic[0] === 0x1f && magic[1] === 0x8b) {
    const raw = createReadStream(path, { highWaterMark: CHUNK });
    const gunzip = createGunzip({ chunkSize: CHUNK });
    raw.on('error', (e) => gunzip.destroy(e));
    return new ByteInput({ stream: raw.pipe(gunzip) }, path, true);
  }
  return new ByteInput({ fh: await open(path, 'r') }, path, false);
}
