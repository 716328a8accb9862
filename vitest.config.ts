import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start real processes and real sockets: keep the 2-core box from thrashing.
    fileParallelism: true,
    maxWorkers: 2,
    // The longest files first, on a fresh clone too (test/sequencer.ts).
    sequence: { sequencer: SlowestFirst },
  },
});
