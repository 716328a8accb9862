// A writer process for the torn-read race (test/onload/ring.test.ts): it attaches a stack
// segment and writes frames as fast as it can, each payload filled with one byte derived from
// its sequence and its scheduled time set to the sequence, publishing each (or in batches).
import { RingWriter } from '../../dist/nic/ring-writer.js';
import { BITMAP_WORDS, StackSegment } from '../../dist/onload/stack-layout.js';

const [name, countArg, batchArg] = process.argv.slice(2);
const seg = StackSegment.attach(name);
const w = new RingWriter(seg);
const bitmap = new Int32Array(BITMAP_WORDS);
bitmap[0] = 1;
const header = Buffer.alloc(42);
const hv = new DataView(header.buffer, header.byteOffset, 42);
const payload = Buffer.alloc(120);
const pv = new DataView(payload.buffer, payload.byteOffset, payload.length);
const count = Number(countArg);
const batch = Number(batchArg);
let spin = 0;
for (let n = 1; n <= count; n++) {
  payload.fill(n & 0xff);
  // About as long as the reader's copy: it keeps up mostly, and is lapped mid-copy now and then.
  for (let k = 0; k < 300; k++) spin = (spin * 31 + k) | 0;
  w.write(0, n, n, bitmap, header, hv, 42, payload, pv, 0, payload.length, batch === 1);
  if (batch > 1 && w.unpublished >= batch) w.publish();
}
w.publish();
process.send?.(spin === 0.5 ? 'never' : 'done');
