/**
 * A process's own garbage collections, as V8 reports them to perf_hooks: scavenges (young
 * generation), full mark-compacts, and the longest pause, counted into three cells of a
 * Float64Array (a shared segment's, for the NIC: the controller reads them there).
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';

export const GC_MINOR = 0;
export const GC_MAJOR = 1;
export const GC_MAX_NS = 2;

/** Counts into cells[at + GC_*] while `counting()` says so, and calls `onMajor` after each full GC counted; disconnect() when done. */
export function watchGc(cells: Float64Array, at: number, counting: () => boolean, onMajor?: () => void): PerformanceObserver {
  const observer = new PerformanceObserver((list) => {
    if (!counting()) return;
    for (const e of list.getEntries()) {
      const ns = e.duration * 1e6;
      if (ns > cells[at + GC_MAX_NS]) cells[at + GC_MAX_NS] = ns;
      const kind = (e as { detail?: { kind?: number } | null }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) cells[at + GC_MINOR] += 1;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        cells[at + GC_MAJOR] += 1;
        onMajor?.();
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return observer;
}
