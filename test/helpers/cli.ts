import { spawnSync } from 'node:child_process';
import { MDLAB, ROOT } from './shared.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `mdlab` as a user would (no TTY), and returns what it printed. */
export function mdlab(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): CliResult {
  const r = spawnSync(process.execPath, [MDLAB, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
