import { describe, expect, it } from 'vitest';
import { SAME_REQUEST_MS, signalAction } from '../../src/cli/interrupts.js';

describe('signalAction', () => {
  it('the first signal ends the run', () => {
    expect(signalAction(null, 12_345)).toBe('end');
  });

  it('the same signal again at once (timeout(1) sends it to the command, then to its group) is the same request', () => {
    expect(signalAction(1_000, 1_000)).toBe('repeat');
    expect(signalAction(1_000, 1_000 + SAME_REQUEST_MS - 1)).toBe('repeat');
  });

  it('a second signal later is the user asking to stop at once', () => {
    expect(signalAction(1_000, 1_000 + SAME_REQUEST_MS)).toBe('abort');
    expect(signalAction(1_000, 5_000)).toBe('abort');
  });
});
