/**
 * The native kernel-path receive (the addon's socket, watched by Node's event loop, drained with
 * recvmmsg): every datagram arrives byte for byte, many per system call when they queue up, a
 * datagram too big for a slot is counted and not handed on, and closing stops it for good.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openMulticastReceiver, openMulticastSender } from '../../src/kernel/loopback.js';
import { NATIVE_SLOT_BYTES, NativeMulticastReceiver } from '../../src/kernel/native-receiver.js';
import { DoorbellReceiver, DoorbellSender } from '../../src/kernel/doorbell.js';

const GROUP = 0xef644d01; // 239.100.77.1
const PORT = 40000 + (process.pid % 20000);
const open: { close(): void }[] = [];
afterEach(() => {
  for (const x of open.splice(0)) x.close();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('native kernel-path receive', () => {
  it('delivers each datagram byte for byte, in order, in recvmmsg batches, with nothing allocated per datagram', async () => {
    const rx = new NativeMulticastReceiver(GROUP, PORT, 4 << 20);
    open.push(rx);
    const got: string[] = [];
    const buffers = new Set<Buffer>();
    rx.start((bytes, _view, off, len) => {
      buffers.add(bytes);
      got.push(bytes.subarray(off, off + len).toString('hex'));
    });
    const tx = await openMulticastSender(GROUP, PORT);
    open.push(tx);
    const sent = Array.from({ length: 500 }, (_, i) => Buffer.from(`${String(i).padStart(4, '0')}-${'x'.repeat(i % 300)}`));
    // A burst, sent while the event loop is busy: they queue, and one read takes many.
    for (const d of sent) tx.send(d);
    const until = Date.now() + 5000;
    while (got.length < sent.length && Date.now() < until) await sleep(5);
    expect(got).toEqual(sent.map((d) => d.toString('hex')));
    expect(buffers.size).toBe(1); // one batch buffer, reused
    expect(rx.reads).toBeLessThan(rx.datagrams);
  });

  it('receives what a Node dgram receiver on the same group receives; a datagram past a slot is counted, not handed on; close stops it', async () => {
    const rx = new NativeMulticastReceiver(GROUP, PORT + 1, undefined);
    const node = await openMulticastReceiver(GROUP, PORT + 1);
    open.push(node);
    const a: number[] = [];
    const b: number[] = [];
    rx.start((_bytes, _view, _off, len) => a.push(len));
    node.on('message', (m) => b.push(m.length));
    const tx = await openMulticastSender(GROUP, PORT + 1);
    open.push(tx);
    for (const n of [1, 100, 1472, NATIVE_SLOT_BYTES + 10, 7]) tx.send(Buffer.alloc(n, 1));
    const until = Date.now() + 5000;
    while ((b.length < 5 || a.length + rx.truncated < 5) && Date.now() < until) await sleep(5);
    expect(b).toEqual([1, 100, 1472, NATIVE_SLOT_BYTES + 10, 7]);
    expect(a).toEqual([1, 100, 1472, 7]);
    expect(rx.truncated).toBe(1);
    rx.close();
    rx.close(); // twice is harmless
    tx.send(Buffer.alloc(5));
    await sleep(50);
    expect(a).toHaveLength(4);
  });

  it('the NIC\'s doorbell: a sendto through the addon wakes a receiver watched by the event loop; rings that queue up are one wake-up', async () => {
    let woken = 0;
    const rx = new DoorbellReceiver(() => woken++);
    const tx = new DoorbellSender();
    open.push(rx, tx);
    tx.ring(rx.port);
    const until = Date.now() + 2000;
    while (woken === 0 && Date.now() < until) await sleep(2);
    expect(woken).toBe(1);
    // Three rings before the event loop turns: drained together, one wake-up.
    for (let i = 0; i < 3; i++) tx.ring(rx.port);
    await sleep(50);
    expect(woken).toBe(2);
    rx.close();
    rx.close();
    tx.ring(rx.port); // nobody listens: not an error
    await sleep(20);
    expect(woken).toBe(2);
  });
});
