/**
 * What a config will do before any process starts: its starting subscribers' sockets, the
 * stacks they will be in (by EF_NAME, or one each; ids from 0 in order of first use, as the live
 * lab numbers them), and the path and cause the fallback core decides for each. The model runs
 * on it; the dashboard's first frame draws it while the lab starts.
 */
import { decide, type Cause, type Member, type Path, type Steering } from '../onload/fallback.js';
import { kernelReason } from '../subscriber/settings.js';
import type { LabConfig } from './config.js';
import { stackKey } from './timeline-check.js';

export interface PlannedSocket {
  subscriber: string;
  group: string;
  stack: number | null;
  path: Path;
  cause: Cause | null;
}

/** `stackOf`: each starting subscriber's stack id (null: none), in config order; `stackNames`: the stacks' keys by id. */
export function plannedMembers(config: LabConfig): { members: Member[]; steering: Steering; stackOf: (number | null)[]; stackNames: string[] } {
  const active = config.subscribers.filter((s) => !config.deferred.includes(s.name));
  const stackIds = new Map<string, number>();
  const stackOf = active.map((s) => {
    const key = stackKey(s);
    if (key === null) return null;
    if (!stackIds.has(key)) stackIds.set(key, stackIds.size);
    return stackIds.get(key)!;
  });
  const members: Member[] = [];
  active.forEach((s, i) => {
    for (const g of s.groups) {
      members.push({ id: members.length, subscriber: s.name, pid: 0, group: g, stack: stackOf[i], stackName: stackOf[i] === null ? null : s.efName, kernelReason: kernelReason(s), offload: s.receive === 'offload' });
    }
  });
  return { members, steering: decide(config.nic, config.filterTable, members, []), stackOf, stackNames: [...stackIds.keys()] };
}

/** The plan as plain data: each starting socket with its stack and its expected path and cause. */
export function plannedSockets(config: LabConfig): PlannedSocket[] {
  const { members, steering } = plannedMembers(config);
  return members.map((m) => {
    const d = steering.decisions.get(m.id);
    return { subscriber: m.subscriber, group: m.group, stack: m.stack, path: d?.path ?? 'kernel', cause: d?.cause ?? null };
  });
}

/** The snapshot's plan (config.plan): each starting subscriber, its groups, its stack and the paths expected. */
export function snapshotPlan(config: LabConfig): { subscriber: string; groups: string[]; stack: number | null; expected: { group: string; path: Path; cause: Cause | null }[] }[] {
  const planned = plannedSockets(config);
  return config.subscribers.filter((x) => !config.deferred.includes(x.name)).map((x) => {
    const mine = planned.filter((p) => p.subscriber === x.name);
    return { subscriber: x.name, groups: x.groups, stack: mine[0]?.stack ?? null, expected: mine.map((p) => ({ group: p.group, path: p.path, cause: p.cause })) };
  });
}
