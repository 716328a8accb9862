/**
 * How many datagrams of a given size a kernel socket really holds: measured, not assumed from
 * the payload. The kernel doubles SO_RCVBUF (capped by net.core.rmem_max) and charges each
 * queued datagram its buffer's true size, far more than a 100-byte payload. A receiver here with
 * the same rcvbuf does not read while another process sends it more than it can hold; what it
 * then reads is the room. Loopback, unicast; about a tenth of a second.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { LOOPBACK } from './loopback.js';

export interface SocketRoom {
  /** What the kernel granted (getsockopt SO_RCVBUF: twice what was asked, within rmem_max). */
  grantedBytes: number;
  /** Datagrams of `payloadBytes` it held before it dropped. */
  datagrams: number;
  payloadBytes: number;
}

export async function measureSocketRoom(rcvbuf: number | undefined, payloadBytes: number): Promise<SocketRoom | null> {
  const size = Math.max(1, Math.min(65507, Math.round(payloadBytes)));
  const s = dgram.createSocket({ type: 'udp4', ...(rcvbuf ? { recvBufferSize: rcvbuf } : {}) });
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, LOOPBACK, () => resolve());
    });
    const granted = s.getRecvBufferSize();
    // Enough to overflow it several times over, by the smallest true size a datagram can have.
    const count = Math.min(200_000, Math.ceil(granted / 256) * 2 + 100);
    let received = 0;
    s.on('message', () => received++);
    // spawnSync holds this process's event loop, so nothing is read until the sender is done.
    const script = `const d=require('dgram');const c=d.createSocket('udp4');const b=Buffer.alloc(${size});let n=0;c.bind(0,'${LOOPBACK}',()=>{const go=()=>{for(let i=0;i<500&&n<${count};i++,n++)c.send(b,${s.address().port},'${LOOPBACK}');if(n<${count})setImmediate(go);else setTimeout(()=>process.exit(0),20)};go()});`;
    const r = spawnSync(process.execPath, ['-e', script], { stdio: 'ignore', timeout: 10_000 });
    if (r.status !== 0) return null;
    let last = -1;
    while (received !== last) {
      last = received;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { grantedBytes: granted, datagrams: received, payloadBytes: size };
  } catch {
    return null;
  } finally {
    s.close();
  }
}
