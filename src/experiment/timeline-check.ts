/**
 * A config's whole run, checked before any process starts: the stacks its subscribers make, the
 * sockets in each, and every timed event in order (who is running, who is joined to what), so
 * that a limit or a contradiction is an error naming its key, not a failure ten seconds in.
 */
import { MAX_STACKS } from '../nic/nic-layout.js';
import { MAX_MEMBERSHIPS } from '../onload/stack-layout.js';
import { readsRing } from '../subscriber/receive-modes.js';
import type { SubscriberSettings } from '../subscriber/settings.js';
import type { TimedEvent } from './config.js';

/** Sockets one emulated stack holds (its socket table). */
export const STACK_SOCKETS = 32;

/** The stack a subscriber's sockets live in (shared by EF_NAME), or null: the lab's rule. */
export function stackKey(s: SubscriberSettings): string | null {
  if (!s.onload || s.dontAccelerate || !readsRing(s.receive)) return null;
  return s.receive === 'ef_vi' ? `#vi-${s.name}` : s.efName ?? `#anon-${s.name}`;
}

interface Fail {
  (path: string, what: string): never;
}

const at = (ns: number) => `${+(ns / 1e9).toFixed(3)} s`;

export function checkTimeline(fail: Fail, subscribers: readonly SubscriberSettings[], deferred: readonly string[], events: readonly TimedEvent[]): void {
  const stacks = new Map<string, { first: number; sockets: number }>();
  subscribers.forEach((s, i) => {
    const key = stackKey(s);
    if (key === null || stacks.has(key)) return;
    if (stacks.size === MAX_STACKS) fail(`subscribers[${i}]`, `${s.name} would make stack ${MAX_STACKS + 1}; a lab has at most ${MAX_STACKS} stacks (share one with EF_NAME)`);
    stacks.set(key, { first: i, sockets: 0 });
  });
  const byName = new Map(subscribers.map((s, i) => [s.name, { s, i }]));
  const running = new Set<string>();
  const joined = new Map<string, Set<string>>();
  let joins = 0;
  const join = (s: SubscriberSettings, group: string, where: string, when = 'at the start') => {
    const set = joined.get(s.name) ?? new Set<string>();
    if (set.has(group)) fail(where, `${s.name} is already joined to ${group} ${when}`);
    set.add(group);
    joined.set(s.name, set);
    if (++joins > MAX_MEMBERSHIPS) fail(where, `more than ${MAX_MEMBERSHIPS} joins in one run`);
    const key = stackKey(s);
    const st = key === null ? undefined : stacks.get(key);
    if (st && ++st.sockets > STACK_SOCKETS) fail(where, `${s.name}'s stack would hold more than ${STACK_SOCKETS} sockets`);
  };
  const leaveAll = (s: SubscriberSettings) => {
    const key = stackKey(s);
    const st = key === null ? undefined : stacks.get(key);
    if (st) st.sockets -= joined.get(s.name)?.size ?? 0;
    joined.delete(s.name);
  };
  subscribers.forEach((s, i) => {
    if (deferred.includes(s.name)) return;
    running.add(s.name);
    s.groups.forEach((g, j) => join(s, g, `subscribers[${i}].groups[${j}]`));
  });
  const started = new Set<string>();
  // Events run in time order; two at the same time, in the order written.
  const order = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.atNs - b.e.atNs || a.i - b.i);
  for (const { e, i } of order) {
    const p = `events[${i}]`;
    if (e.action === 'speed' || e.action === 'drop') continue;
    const { s } = byName.get(e.subscriber)!;
    const when = `at ${at(e.atNs)}`;
    switch (e.action) {
      case 'start':
        if (!deferred.includes(s.name)) fail(`${p}.start`, `${s.name} starts with the lab (only a subscriber with start: false waits for a start event)`);
        if (started.has(s.name)) fail(`${p}.start`, `${s.name} is started twice`);
        started.add(s.name);
        running.add(s.name);
        s.groups.forEach((g) => join(s, g, `${p}.start`, when));
        break;
      case 'kill':
        if (!running.has(s.name)) fail(`${p}.kill`, `${s.name} is not running ${when}`);
        running.delete(s.name);
        leaveAll(s);
        break;
      case 'join':
        if (!running.has(s.name)) fail(`${p}.join.subscriber`, `${s.name} is not running ${when}`);
        join(s, e.group, `${p}.join.group`, when);
        break;
      case 'leave': {
        if (!running.has(s.name)) fail(`${p}.leave.subscriber`, `${s.name} is not running ${when}`);
        const set = joined.get(s.name);
        if (!set?.has(e.group)) fail(`${p}.leave.group`, `${s.name} is not joined to ${e.group} ${when}`);
        set.delete(e.group);
        const key = stackKey(s);
        const st = key === null ? undefined : stacks.get(key);
        if (st) st.sockets--;
        break;
      }
    }
  }
}
