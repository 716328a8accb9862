/** Starting the lab's child processes (the NIC, subscribers) and making sure none outlives the lab. */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's compiled code, whether this module runs from dist/ or (in tests) from src/. */
function distDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist');
}

const DIST = distDir();
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Forks a compiled module of mdlab with an IPC channel; its stderr is kept for error reports. */
export function forkChild(module: 'nic/nic-process.js' | 'subscriber/subscriber-process.js' | 'bench/probe-child.js'): { child: ChildProcess; stderr: () => string } {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Whatever ends the lab process, no child outlives it.
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const child = fork(join(DIST, module), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
  live.add(child);
  child.on('exit', () => live.delete(child));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  return { child, stderr: () => err };
}

export function liveChildren(): number {
  return live.size;
}

/** A one-line reason from a child's stderr (its last error line), for the report. */
export function lastErrorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const e = [...lines].reverse().find((l) => /Error|error:/.test(l));
  return e ?? lines[lines.length - 1] ?? '';
}
