/**
 * The lab's re-request server, a process of its own in the lab's namespace: it loads the
 * recording's messages, answers MoldUDP64 requests on 127.0.0.1 (a free port, told to the
 * controller), and reports its counts when asked and when it stops.
 */
import type { FeedOptions } from '../feed/open-feed.js';
import { MessageStore } from './message-store.js';
import { F_LOOPS, F_POSITION, NicSegment } from '../nic/nic-layout.js';
import type { ServerCounters, ServerLimits } from './request-server.js';
import { startRequestServer, type RunningServer } from './server-process.js';

/** `nicSegment`: the lab's NIC, whose replay position says what has been sent so far (nothing past it is served). */
export type ToServer = { type: 'start'; recording: string; feed?: FeedOptions; limits: ServerLimits; nicSegment?: string } | { type: 'counts' } | { type: 'stop' };
export type FromServer = { type: 'ready'; port: number; sessions: number } | { type: 'counts'; counters: ServerCounters } | { type: 'error'; message: string };

const send = (m: FromServer) => process.send?.(m);

/**
 * What the lab's NIC has sent of a session: up to its replay position (a looping replay has sent
 * everything once). Read from the NIC segment at each request.
 */
function sentByNic(store: MessageStore, segment: string): (session: string) => number {
  const nic = NicSegment.attach(segment);
  return (session) => {
    const f = nic.f64;
    if (f[F_LOOPS] > 0) return Infinity;
    return store.lastSentBy(session, f[F_POSITION]);
  };
}
let server: RunningServer | null = null;

process.on('message', (m: ToServer) => {
  if (m.type === 'start') {
    MessageStore.load(m.recording, m.feed ?? {})
      .then((store) => startRequestServer(store, m.limits, 0, m.nicSegment ? sentByNic(store, m.nicSegment) : undefined).then((s) => {
        server = s;
        send({ type: 'ready', port: s.port, sessions: store.sessionNames.length });
      }))
      .catch((e: unknown) => send({ type: 'error', message: (e as Error).message }));
  } else if (m.type === 'counts') {
    if (server) send({ type: 'counts', counters: server.core.counters });
  } else if (m.type === 'stop') {
    const counters = server?.core.counters;
    void (server?.close() ?? Promise.resolve()).then(() => {
      if (counters) send({ type: 'counts', counters });
      setTimeout(() => process.exit(0), 10);
    });
  }
});
process.on('disconnect', () => process.exit(0));
