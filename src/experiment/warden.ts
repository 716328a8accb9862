/**
 * The lab's warden: a small process of its own, started by the controller before the lab's
 * first segment exists, and the last of the lab to go. When the controller's channel closes
 * (it exited, or died by SIGKILL mid start-up), the warden makes sure that every child it was
 * told of is gone, then removes every segment named for the controller's pid. It loads nothing
 * but node:fs, so it is ready in a few milliseconds, and it ignores terminal signals: it goes
 * when the controller goes, not before.
 */
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';

const lab = Number(process.argv[2]);
const prefix = `mdlab.${lab}.`;
const children = new Set<number>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

function sweep(): void {
  let names: string[] = [];
  try {
    names = readdirSync('/dev/shm');
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    try {
      unlinkSync(`/dev/shm/${n}`);
    } catch {
      // gone meanwhile
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function controllerGone(): Promise<void> {
  // Its children die with it (their parent-death signal); any that did not, die now.
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const until = Date.now() + 3000;
  while (Date.now() < until && [...children].some(alive)) await sleep(10);
  sweep();
  // A child that was creating a segment as it died: sweep once more after it is surely gone.
  await sleep(100);
  sweep();
  process.exit(0);
}

if (Number.isInteger(lab) && lab > 0) {
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(s, () => undefined);
  process.on('message', (m: { child?: number; gone?: number }) => {
    if (typeof m?.child === 'number') children.add(m.child);
    if (typeof m?.gone === 'number') children.delete(m.gone);
  });
  process.on('disconnect', () => void controllerGone());
  process.send?.({ ready: true });
} else {
  process.exit(2);
}
