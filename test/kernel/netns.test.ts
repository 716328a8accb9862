import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isolate } from '../../src/kernel/netns.js';
import { ROOT } from '../helpers/shared.js';

const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const TOOLS = ['unshare', 'nsenter', 'setpriv', 'ip'].every(has);

describe('a lab\'s own network namespace', () => {
  it.skipIf(!TOOLS)(`is made by a holder process, its loopback up, entered with nsenter${TOOLS ? '' : ' [skipped: unshare, nsenter, setpriv or ip is not installed; .ci/run installs iproute2]'}`, async () => {
    const watched: number[] = [];
    const { isolation, holder } = await isolate([26400], (pid) => watched.push(pid));
    try {
      if (isolation.kind === 'ports') return; // a host where no namespace can be made says why; nothing more to check here
      expect(holder?.pid).toBe(isolation.pid);
      expect(watched).toEqual([isolation.pid]);
      expect(readlinkSync(`/proc/${isolation.pid}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
      const lo = execFileSync(isolation.enter[0], [...isolation.enter.slice(1), 'ip', '-o', 'link', 'show', 'lo'], { encoding: 'utf8' });
      expect(lo).toMatch(/[<,]UP[,>]/);
    } finally {
      holder?.kill('SIGKILL');
    }
  });

  it('without the tools on PATH, uses a port base of its own and names what is missing (looked up on PATH, as a shell would)', () => {
    const script = `import(${JSON.stringify(join(ROOT, 'dist', 'kernel', 'netns.js'))}).then(async ({ isolate }) => {
      const r = await isolate([26400], () => undefined);
      console.log(JSON.stringify(r.isolation));
    });`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent', MDLAB_ISOLATION: '' } });
    const iso = JSON.parse(out) as { kind: string; portOffset: number; note: string };
    expect(iso.kind).toBe('ports');
    expect(iso.portOffset).toBeGreaterThan(0);
    expect(iso.note).toMatch(/no network namespace \(unshare, nsenter, setpriv, ip not installed/);
  });
});
