/**
 * Reads a small kernel file (/proc) into one buffer kept for every read, as text. The lab reads
 * a dozen such files a snapshot for the whole run (host health, socket drops), and
 * readFileSync(path, 'utf8') left garbage that outlived scavenges: a loop of those reads grew the
 * heap left after each scavenge by 2 MB in 7 s, where this read left it flat, and the
 * controller's RSS grew over a soak until a full GC.
 */
import { closeSync, openSync, readSync } from 'node:fs';

let buf = Buffer.allocUnsafe(16 << 10);

/** The whole file as Latin-1 text (procfs is ASCII), or null if it cannot be read. */
export function readProc(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        // A file larger than any before (/proc/net/udp on a busy host): the buffer grows, and stays grown.
        const grown = Buffer.allocUnsafe(2 * buf.length);
        buf.copy(grown, 0, 0, n);
        buf = grown;
      }
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return buf.toString('latin1', 0, n);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
