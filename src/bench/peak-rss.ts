/** Runs a command as a child, polling its peak resident memory (VmHWM in /proc) until it exits. */
import { spawn, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Watched {
  status: number | null;
  stdout: string;
  stderr: string;
  peakRssMb: number;
  wallSeconds: number;
}

export async function runWatched(args: string[], o: { cwd?: string; stdout?: number } = {}): Promise<Watched> {
  const t = process.hrtime.bigint();
  const stdio: StdioOptions = ['ignore', o.stdout ?? 'pipe', 'pipe'];
  const child = spawn(process.execPath, args, { cwd: o.cwd, stdio });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // exited
    }
  }, 50);
  const status = await new Promise<number | null>((res) => child.on('exit', res));
  clearInterval(poll);
  return { status, stdout, stderr, peakRssMb: peakKb / 1024, wallSeconds: Number(process.hrtime.bigint() - t) / 1e9 };
}
