/**
 * The default lab as a user runs it (`mdlab run configs/default.yaml --headless`), N times on the
 * host as it is: how many runs were clean, whether bypass p50 < kernel p50 held in every clean
 * one, and what the lab cost its host: the controller's CPU share and the NIC's CPU per packet,
 * from the run's own host-health figures.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invertedLesson } from '../experiment/health-report.js';
import type { LabSnapshot } from '../experiment/snapshot.js';

export interface DefaultRun {
  verdict: string;
  reasons: string[];
  /** Bypass p50 below kernel p50 (from the NIC's send). */
  lessonHeld: boolean;
  controllerCpuShare: number;
  nicCpuNsPerPacket: number;
  /** Of that, the kernel's work in the NIC's context: its sends' delivery on the kernel path (system time). */
  nicSystemNsPerPacket: number;
  balanced: boolean;
}

export function defaultRun(root: string, dir: string, i: number, duration: string): DefaultRun {
  const json = join(dir, `default-${i}.json`);
  const r = spawnSync(process.execPath, [join(root, 'bin', 'mdlab.js'), 'run', 'configs/default.yaml', '--headless', '--quiet', '--duration', duration, '--json', json], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`mdlab run configs/default.yaml failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  const s = JSON.parse(readFileSync(json, 'utf8')) as LabSnapshot;
  const proc = (role: string) => s.host.processes.find((p) => p.role === role);
  const nic = proc('nic');
  return {
    verdict: s.host.verdict,
    reasons: s.host.reasons,
    lessonHeld: invertedLesson(s) === null,
    controllerCpuShare: proc('controller')?.cpuShare ?? NaN,
    nicCpuNsPerPacket: nic && s.nic.packets > 0 ? (nic.cpuShare * s.host.sampledMs * 1e6) / s.nic.packets : NaN,
    nicSystemNsPerPacket: nic && s.nic.packets > 0 ? ((nic.systemShare ?? 0) * s.host.sampledMs * 1e6) / s.nic.packets : NaN,
    balanced: s.totals.balanced,
  };
}
