/**
 * Each drop explained where it happens (DESIGN §11): its mechanism and its numbers, in words a
 * user can act on. Pure: from the snapshot, the subscribers' settings and the socket room the
 * lab measured at start (how many of the recording's datagrams a socket of that rcvbuf holds).
 */
import type { SocketRoom } from '../kernel/socket-room.js';
import type { SubscriberSettings } from '../subscriber/settings.js';
import { fmtInt } from './text-table.js';
import type { LabSnapshot } from './snapshot.js';

export interface DropExplanation {
  subscriber: string;
  group: string;
  cause: 'oflow-drop' | 'ring-overrun';
  count: number;
  text: string;
}

const kb = (n: number) => `${Math.round(n / 1024).toLocaleString('en-US')} KB`;

export function explainDrops(s: Pick<LabSnapshot, 'subscribers' | 'stacks'> & { nic: { peak100msRunPackets?: number } }, settings: readonly SubscriberSettings[], room: (rcvbuf: number | undefined) => SocketRoom | null): DropExplanation[] {
  const out: DropExplanation[] = [];
  const peak = s.nic.peak100msRunPackets ?? 0;
  const burst = peak > 0 ? `; the feed peaked at ${fmtInt(peak)} packets in 100 ms` : '';
  for (const sub of s.subscribers) {
    const set = settings.find((x) => x.name === sub.name);
    for (const m of sub.memberships) {
      const oflow = m.account.dropped['oflow-drop'] ?? 0;
      if (oflow > 0 && sub.receive !== 'offload') {
        const r = room(set?.rcvbuf);
        const socket = m.account.detected.socketDrops;
        const holds = r
          ? `rcvbuf ${set?.rcvbuf ? kb(set.rcvbuf) : 'default'}, ${kb(r.grantedBytes)} granted: room for about ${fmtInt(r.datagrams)} of these ${Math.round(r.payloadBytes)}-byte datagrams, measured, since the kernel charges each its buffer's true size, about ${fmtInt(r.grantedBytes / Math.max(1, r.datagrams))} bytes, not its payload`
          : `rcvbuf ${set?.rcvbuf ? kb(set.rcvbuf) : 'default'}`;
        out.push({
          subscriber: sub.name, group: m.group, cause: 'oflow-drop', count: oflow,
          text: `${sub.name}'s kernel socket for ${m.group} (${holds}) overflowed: ${fmtInt(oflow)} datagrams dropped${socket !== null ? ` (the kernel counted ${fmtInt(socket)} at the socket)` : ''}${burst}. Raise rcvbuf (net.core.rmem_max caps it), or read faster.`,
        });
      } else if (oflow > 0) {
        out.push({ subscriber: sub.name, group: m.group, cause: 'oflow-drop', count: oflow, text: `${sub.name}'s offloaded socket for ${m.group} was full when the NIC wrote to it: ${fmtInt(oflow)} records dropped${burst}. Read faster.` });
      }
      const overrun = m.account.dropped['ring-overrun'] ?? 0;
      if (overrun > 0) {
        const st = s.stacks.find((x) => x.id === sub.stack);
        out.push({
          subscriber: sub.name, group: m.group, cause: 'ring-overrun', count: overrun,
          text: `${sub.name} was lapped on ${st ? `stack ${st.id}'s ring (${fmtInt(st.ringSlots)} slots, shared by every socket of the stack)` : 'its ring'}: ${fmtInt(overrun)} packets of ${m.group} were overwritten before it read them${set && set.delayNs > 0 ? ` (it spends ${(set.delayNs / 1e6).toFixed(1)} ms a packet)` : ''}${burst}. Read faster (less work per packet, spin on a core of its own), or a bigger ring (ring:).`,
        });
      }
    }
  }
  return out;
}
