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

/** Segments of this test process's labs, and subscriber/NIC processes it started, still alive. */
export function leftovers(): { segments: string[]; processes: string[] } {
  const segments = listSegments(process.pid);
  let processes: string[] = [];
  try {
    processes = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n').map((l) => l.trim()).filter((l) => /nic-process|subscriber-process|server-child|socket-room-child/.test(l));
  } catch {
    processes = [];
  }
  return { segments, processes };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
