/**
 * The addon's ownProcessGroup (setpgid(0, 0)): a lab's child leads a process group of its own, so
 * that a signal to the user's job reaches the controller alone. Each case runs in a process of
 * its own: changing the test worker's group would move it out of Vitest's job.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/shared.js';

const ADDON = JSON.stringify(join(ROOT, 'build', 'Release', 'mdlab_shm.node'));
const SCRIPT = `
  const a = require(${ADDON});
  const stat = () => { const t = require('fs').readFileSync('/proc/self/stat', 'utf8'); return t.slice(t.lastIndexOf(')') + 2).split(' '); };
  const before = Number(stat()[2]);
  try { console.log(JSON.stringify({ pid: process.pid, before, returned: a.ownProcessGroup(), after: Number(stat()[2]), session: Number(stat()[3]) })); }
  catch (e) { console.log(JSON.stringify({ error: e.message })); }`;

const SETSID = ['/usr/bin/setsid', '/bin/setsid'].find(existsSync);

describe('ownProcessGroup (setpgid)', () => {
  it('makes the process the leader of a new group, in the session it was in', () => {
    const r = spawnSync(process.execPath, ['-e', SCRIPT], { encoding: 'utf8' });
    const o = JSON.parse(r.stdout) as { pid: number; before: number; returned: number; after: number; session: number };
    expect(o.before).not.toBe(o.pid);
    expect(o.returned).toBe(o.pid);
    expect(o.after).toBe(o.pid);
    expect(o.session).not.toBe(o.pid);
  });

  it.skipIf(!SETSID)(`a session leader cannot start a group: one line saying so${SETSID ? '' : ' [needs setsid(1), util-linux]'}`, () => {
    const r = spawnSync(SETSID!, [process.execPath, '-e', SCRIPT], { encoding: 'utf8' });
    const o = JSON.parse(r.stdout) as { error: string };
    expect(o.error).toBe('cannot start a process group: Operation not permitted');
    expect(o.error).not.toMatch(/\n/);
  });
});
