/**
 * The lab's re-request server, a process of its own in the lab's namespace: it loads the
 * recording's messages, answers MoldUDP64 requests on 127.0.0.1 (a free port, told to the
 * controller), and reports its counts when asked and when it stops.
 */
import type { FeedOptions } from '../feed/open-feed.js';
import { MessageStore } from './message-store.js';
import type { ServerCounters, ServerLimits } from './request-server.js';
import { startRequestServer, type RunningServer } from './server-process.js';

export type ToServer = { type: 'start'; recording: string; feed?: FeedOptions; limits: ServerLimits } | { type: 'counts' } | { type: 'stop' };
export type FromServer = { type: 'ready'; port: number; sessions: number } | { type: 'counts'; counters: ServerCounters } | { type: 'error'; message: string };

const send = (m: FromServer) => process.send?.(m);
let server: RunningServer | null = null;

process.on('message', (m: ToServer) => {
  if (m.type === 'start') {
    MessageStore.load(m.recording, m.feed ?? {})
      .then((store) => startRequestServer(store, m.limits, 0).then((s) => {
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
