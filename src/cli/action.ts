/** Commander actions return their exit code through here (commander itself ignores return values). */
let exitCode = 0;

export function act<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = await fn(...args);
    exitCode = typeof code === 'number' ? code : 0;
  };
}

export function takeExitCode(): number {
  const c = exitCode;
  exitCode = 0;
  return c;
}
