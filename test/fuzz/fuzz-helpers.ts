/** Shared by the fuzz suites: how many cases, and the one promise every case must keep. */
import { expect } from 'vitest';
import { MdlabError } from '../../src/errors.js';

/** npm test runs a few hundred cases of each kind; MDLAB_LONG=1 runs at least 10,000. */
export const LONG = process.env.MDLAB_LONG === '1';
export const CASES = Number(process.env.MDLAB_FUZZ_CASES ?? (LONG ? 10_000 : 300));
export const SEED = Number(process.env.MDLAB_FUZZ_SEED ?? 20261201);

/**
 * Either the input was accepted, or the error is one a user can act on: an MdlabError of one
 * line that starts with the file's name and names a place in it, never an internal error.
 */
export function expectUserError(err: unknown, file: string, what: string): void {
  if (!(err instanceof MdlabError)) {
    expect.fail(`${what}: not a user error: ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
  }
  const msg = err.message;
  expect(msg.includes('\n'), `${what}: more than one line: ${msg}`).toBe(false);
  expect(msg.startsWith(file), `${what}: does not start with the file: ${msg}`).toBe(true);
  expect(msg, what).not.toMatch(/internal error|\[object Object\]|Cannot read prop|is not a function|Maximum call stack|is not iterable/);
  expect(msg.length, `${what}: too long for one line: ${msg}`).toBeLessThan(400);
}

/** Resolves with the promise, or rejects if it takes longer than `ms`: no case may hang. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p.finally(() => clearTimeout(t)), new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: hung for ${ms} ms`)), ms)))]);
}
