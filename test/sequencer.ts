/**
 * The order test files start in. Two workers share the suite: a long file started last runs
 * alone at the end. Vitest starts the longest first once it has timings, but on a fresh clone
 * (as in CI) it has none and starts the largest files first, which put the bench's tiny run
 * (~50 s, a short file) last. So: the bench first, then the other end-to-end files, then the
 * rest, each group in Vitest's own order.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

function rank(file: TestSpecification): number {
  const id = file.moduleId.replace(/\\/g, '/');
  if (id.endsWith('/test/e2e/bench.test.ts')) return 0;
  if (id.includes('/test/e2e/')) return 1;
  return 2;
}

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Array.prototype.sort is stable: within a rank, Vitest's order stands.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
