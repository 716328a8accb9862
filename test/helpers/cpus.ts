/** CPU masks as the kernel shows them in /proc (Cpus_allowed_list: "0-3,6"), for affinity tests. */
import { readFileSync } from 'node:fs';

/** Expands a CPU list ("0-3,6") into its CPU numbers. */
export function cpuList(list: string): number[] {
  return list.split(',').flatMap((r) => {
    const [a, b] = r.split('-').map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

/** A process's allowed CPUs, from /proc (as the kernel holds them, not as the addon reports them). */
export function allowedCpus(pid: number | string): number[] {
  return cpuList(/Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}
