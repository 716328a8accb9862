import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/shared.js';
import { cpuList } from '../helpers/cpus.js';

// In a child process: pinning the test worker itself would slow every other test.
function pinnedThreads(cpu: number): { threads: number; masks: string[] } {
  const script = `
    const a = require(${JSON.stringify(join(ROOT, 'build', 'Release', 'mdlab_shm.node'))});
    a.setAffinity([${cpu}]);
    const fs = require('fs');
    const masks = fs.readdirSync('/proc/self/task').map((t) => /Cpus_allowed_list:\\s*(\\S+)/.exec(fs.readFileSync('/proc/self/task/' + t + '/status', 'utf8'))[1]);
    console.log(JSON.stringify({ threads: masks.length, masks }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { threads: number; masks: string[] };
}

describe('CPU pinning (the addon\'s setAffinity)', () => {
  it('pins every thread of the process, V8\'s helper threads included, not only the caller', () => {
    const last = cpus().length - 1;
    const r = pinnedThreads(last);
    // Node starts V8 platform workers and more: a pin of the main thread alone would leave them free.
    expect(r.threads).toBeGreaterThan(1);
    expect(r.masks).toEqual(new Array(r.threads).fill(String(last)));
  });

  it('getAffinity reads the mask back: the one the process started with, then the pin', () => {
    const last = cpus().length - 1;
    const r = JSON.parse(execFileSync(process.execPath, ['-e', `
      const a = require(${JSON.stringify(join(ROOT, 'build', 'Release', 'mdlab_shm.node'))});
      const fs = require('fs');
      const proc = /Cpus_allowed_list:\\s*(\\S+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1];
      const before = a.getAffinity();
      a.setAffinity([${last}]);
      const pinned = a.getAffinity();
      a.setAffinity(before);
      console.log(JSON.stringify({ proc, before, pinned, after: a.getAffinity() }));`], { encoding: 'utf8' })) as { proc: string; before: number[]; pinned: number[]; after: number[] };
    expect(r.before).toEqual(cpuList(r.proc));
    expect(r.pinned).toEqual([last]);
    expect(r.after).toEqual(r.before);
  });

  it('refuses what is not a list of CPU numbers, with a clear error', () => {
    const run = (arg: string) => execFileSync(process.execPath, ['-e', `
      const a = require(${JSON.stringify(join(ROOT, 'build', 'Release', 'mdlab_shm.node'))});
      try { a.setAffinity(${arg}); console.log('ok'); } catch (e) { console.log(e.message); }`], { encoding: 'utf8' }).trim();
    expect(run('[]')).toBe('expected a non-empty array of CPU numbers');
    expect(run('[-1]')).toBe('CPU numbers must be whole numbers from 0');
    expect(run('"0"')).toBe('expected a non-empty array of CPU numbers');
  });
});
