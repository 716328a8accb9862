/**
 * The native kernel-path receive (the addon's socket, watched by Node's event loop, drained with
 * recvmmsg): every datagram arrives byte for byte, many per system call when they queue up, a
 * datagram too big for a slot is counted and not handed on, and closing stops it for good.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { openMulticastReceiver, openMulticastSender } from '../../src/kernel/loopback.js';
import { NATIVE_SLOT_BYTES, NativeMulticastReceiver } from '../../src/kernel/native-receiver.js';
import { DoorbellReceiver, DoorbellSender } from '../../src/kernel/doorbell.js';
import { NativeMulticastSender } from '../../src/kernel/native-sender.js';

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

  it('times how long each datagram, and the doorbell that woke a reader, waited in its socket (the kernel\'s SO_TIMESTAMPNS stamp to the read)', async () => {
    const rx = new NativeMulticastReceiver(GROUP, PORT + 2, undefined);
    open.push(rx);
    let got = 0;
    rx.start(() => got++);
    let woken = 0;
    const bell = new DoorbellReceiver(() => woken++);
    const ringer = new DoorbellSender();
    open.push(bell, ringer);
    const hold = (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        // the event loop is held: what arrives now waits in its socket
      }
    };
    // Another process sends while this one's event loop is held: spawnSync blocks the loop until the
    // sender has exited, so all three datagrams are in the socket; holding 60 ms more makes each wait
    // at least that long, however slowly the child started on a busy host.
    const sent = spawnSync(process.execPath, ['-e', `const s = require('node:dgram').createSocket('udp4'); s.bind(0, '127.0.0.1', () => { s.setMulticastInterface('127.0.0.1'); s.setMulticastTTL(0); s.setMulticastLoopback(true); let n = 0; for (let i = 0; i < 3; i++) s.send(Buffer.alloc(20, i), ${PORT + 2}, '239.100.77.1', () => { if (++n === 3) s.close(); }); });`], { stdio: 'ignore', timeout: 20_000 });
    expect(sent.status).toBe(0);
    hold(60);
    const until = Date.now() + 3000;
    while (got < 3 && Date.now() < until) await sleep(2);
    expect(got).toBe(3);
    expect(rx.waits.count).toBe(3);
    expect(rx.waits.max).toBeGreaterThanOrEqual(50e6);
    expect(rx.waits.max).toBeLessThan(3e9);
    // Three rings while the reader is held: one wake-up, timed once, by the first ring.
    for (let i = 0; i < 3; i++) ringer.ring(bell.port);
    hold(30);
    while (woken === 0 && Date.now() < until) await sleep(2);
    expect(woken).toBe(1);
    expect(bell.waits.count).toBe(1);
    expect(bell.waits.max).toBeGreaterThanOrEqual(25e6);
    expect(bell.waits.max).toBeLessThan(3e9);
  });

  it('the NIC\'s kernel-path sender: one send from inside the recording\'s buffer, byte for byte, to the group on 127.0.0.1; a range past the buffer is refused', async () => {
    const rx = new NativeMulticastReceiver(GROUP, PORT + 3, undefined);
    open.push(rx);
    const got: string[] = [];
    rx.start((bytes, _view, off, len) => got.push(bytes.subarray(off, off + len).toString('hex')));
    const tx = new NativeMulticastSender(GROUP, PORT + 3);
    open.push(tx);
    const chunk = Buffer.from(Array.from({ length: 3000 }, (_, i) => i & 0xff));
    expect(tx.send(chunk, 17, 1200)).toBe(1200);
    expect(tx.send(chunk, 2999, 1)).toBe(1);
    const until = Date.now() + 3000;
    while (got.length < 2 && Date.now() < until) await sleep(2);
    expect(got).toEqual([chunk.subarray(17, 1217).toString('hex'), chunk.subarray(2999).toString('hex')]);
    expect(() => tx.send(chunk, 2999, 2)).toThrow(/within the buffer/);
    expect(() => tx.send(chunk, 3001, 0)).toThrow(/within the buffer/);
  });
});
