/** Helpers for end-to-end lab tests: real processes, real shared memory, real sockets. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { validateConfig, type LabConfig } from '../../src/experiment/config.js';
import type { MembershipSnapshot, LabSnapshot } from '../../src/experiment/snapshot.js';
import { listSegments } from '../../src/shm/segment.js';
import { ROOT } from './shared.js';

export const G1 = '239.100.1.1:26400';
export const G2 = '239.100.1.2:26400';
export const G3 = '239.100.1.3:26400';

/** A config as a lab file would give it, relative to configs/. */
export function config(raw: Record<string, unknown>, name = 'test'): LabConfig {
  return validateConfig({ recording: '../recordings/default.pcap', ...raw }, join(ROOT, 'configs', `${name}.yaml`));
}

export function membership(s: LabSnapshot, subscriber: string, group: string): MembershipSnapshot {
  const sub = s.subscribers.find((x) => x.name === subscriber);
  const all = sub?.memberships.filter((m) => m.group === group) ?? [];
  const m = all.find((x) => x.active) ?? all[all.length - 1];
  if (!m) throw new Error(`${subscriber} has no membership of ${group}`);
  return m;
}

/** Child processes of this process whose command line matches `pattern`, oldest first, as "pid args". */
export function childProcesses(pattern: RegExp): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n').map((l) => l.trim()).filter((l) => pattern.test(l))
      .sort((a, b) => Number(a.split(/\s+/)[0]) - Number(b.split(/\s+/)[0]));
  } catch {
    return [];
  }
}

/** Segments of this test process's labs, and subscriber/NIC processes it started, still alive. */
export function leftovers(): { segments: string[]; processes: string[] } {
  return { segments: listSegments(process.pid), processes: childProcesses(/nic-process|subscriber-process|server-child|socket-room-child/) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
