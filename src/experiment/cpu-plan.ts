/**
 * Which CPUs the lab's processes run on: pinned subscribers get their CPU to themselves, as on a
 * host with isolated cores; the NIC, the other subscribers and the controller share the rest.
 * Pure: the config and the core count in, the plan and its warnings out.
 */
import { spins, type SubscriberSettings } from '../subscriber/settings.js';

export interface CpuPlan {
  /** CPUs for every process that is not pinned (null: no plan, any CPU). */
  shared: number[] | null;
  /** Subscribers whose pin cannot be honoured (a CPU this machine does not have): run unpinned. */
  unpinned: string[];
  warnings: string[];
}

export function planCpus(subscribers: readonly SubscriberSettings[], cores: number): CpuPlan {
  const warnings: string[] = [];
  const spinning = subscribers.filter(spins).length;
  // The NIC paces by spinning too, between packets closer than 2 ms.
  if (spinning + 1 > cores) {
    warnings.push(`${spinning} subscriber${spinning === 1 ? '' : 's'} spin (EF_POLL_USEC) and the NIC paces by spinning, on ${cores} core${cores === 1 ? '' : 's'}: spinners will steal each other's time and latency will suffer; give each spinning process a core, or use EF_INT_DRIVEN=1`);
  }
  const reserved = new Set<number>();
  const unpinned: string[] = [];
  for (const s of subscribers) {
    if (s.cpu === null) continue;
    if (s.cpu >= cores) {
      warnings.push(`${s.name} asks for CPU ${s.cpu}, but this machine has ${cores} (0 to ${cores - 1}): not pinned`);
      unpinned.push(s.name);
      continue;
    }
    reserved.add(s.cpu);
  }
  if (reserved.size === 0) return { shared: null, unpinned, warnings };
  const rest = [...Array(cores).keys()].filter((c) => !reserved.has(c));
  if (rest.length === 0) {
    warnings.push(`pinned subscribers take every CPU (${[...reserved].join(', ')}); the NIC and the rest share them`);
    return { shared: null, unpinned, warnings };
  }
  return { shared: rest, unpinned, warnings };
}
