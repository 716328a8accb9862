/**
 * What kind of recording a file is, from its first bytes (not its name): the one rule shared by
 * the readers (open-feed.ts) and by config validation, which checks a lab's recording before
 * any process starts.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';
import { MdlabError } from '../errors.js';
import { LENGTH_BY_CODE } from './itch/layout.js';
import { isClassicPcapMagic } from './pcap/classic-reader.js';
import { PCAPNG_SHB } from './pcap/pcapng-reader.js';

export type RecordingKind = 'pcap' | 'pcapng' | 'itch';

const EXPECTED = 'expected a pcap (magic a1b2c3d4 or a1b23c4d), a pcapng (0a0d0d0a) or a binary ITCH 5.0 file (u16 length + message), plain or gzip';

/** The kind the first bytes say, or a sentence saying what they are not. */
export function kindFromHead(head: Uint8Array): RecordingKind | string {
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length === 0) return 'the file is empty';
  if (head.length >= 4 && isClassicPcapMagic(v, 0)) return 'pcap';
  if (head.length >= 4 && v.getUint32(0, true) === PCAPNG_SHB) return 'pcapng';
  if (head.length >= 3) {
    const expected = LENGTH_BY_CODE[head[2]];
    if (expected !== 0 && v.getUint16(0) === expected) return 'itch';
  }
  const bytes = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `not a recording mdlab reads (first bytes ${bytes}): ${EXPECTED}`;
}

/**
 * Checks that `path` is a recording mdlab can open: a regular file whose first bytes (after
 * gzip, if gzipped) are one of the kinds. Throws an MdlabError naming the file otherwise.
 */
export function checkRecording(path: string): RecordingKind {
  let head: Buffer;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new MdlabError(`${path}: is a directory, expected a recording file`);
    if (!st.isFile()) throw new MdlabError(`${path}: is not a regular file (a device or a pipe), expected a recording file`);
    const fd = openSync(path, 'r');
    try {
      head = Buffer.alloc(4096);
      head = head.subarray(0, readSync(fd, head, 0, head.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof MdlabError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new MdlabError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot read: ${(err as Error).message.split('\n')[0]}`}`);
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    try {
      head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch (err) {
      throw new MdlabError(`${path}: byte 0: gzip stream is corrupt: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const kind = kindFromHead(head);
  if (kind !== 'pcap' && kind !== 'pcapng' && kind !== 'itch') throw new MdlabError(`${path}: byte 0: ${kind}`);
  return kind;
}
