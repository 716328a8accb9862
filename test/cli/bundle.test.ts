import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MDLAB, ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const TMP = tempDir('mdlab-bundle-');
const BUNDLE = join(ROOT, 'dist', 'bundle');

/** The modules Node's ESM loader loads for `node ARGS`, listed by a load hook. */
function modulesLoaded(args: string[], tag: string): string[] {
  const list = TMP.file(`${tag}.txt`, '');
  const hooks = TMP.file(`${tag}-hooks.mjs`, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(list)}, url + '\\n'); return next(url, context); }\n`);
  const register = TMP.file(`${tag}-register.mjs`, `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
  execFileSync(process.execPath, ['--import', register, ...args], { cwd: ROOT, encoding: 'utf8' });
  return readFileSync(list, 'utf8').split('\n').filter((l) => l.startsWith('file:'));
}

describe('the CLI, bundled at npm install (scripts/bundle.mjs)', () => {
  it('starts from a few files: bin/mdlab.js loads the bundle, not the ~130 modules tsc wrote', () => {
    const bundled = modulesLoaded([MDLAB, '--version'], 'bundled');
    const unbundled = modulesLoaded(['--input-type=module', '-e', `await import(${JSON.stringify(join(ROOT, 'dist', 'cli', 'main.js'))})`], 'unbundled');
    expect(unbundled.length).toBeGreaterThan(100);
    expect(bundled.length).toBeLessThan(10);
    expect(bundled.every((u) => u.includes('/bin/mdlab.js') || u.includes('/dist/bundle/'))).toBe(true);
  });

  it('with MDLAB_DEBUG, prints stacks that name mdlab\'s own sources, not the bundle (its source map)', () => {
    const config = TMP.file('no-recording.yaml', 'nic: {model: sfn6122f}\nsubscribers: [{name: a, groups: ["239.100.1.1:26400"]}]\n');
    const r = spawnSync(process.execPath, [MDLAB, 'run', config, '--headless'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MDLAB_DEBUG: '1' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/recording: expected a non-empty string/);
    expect(r.stderr).toMatch(/at Validator\.\w+ \(.*src\/experiment\/config\.ts:\d+:\d+\)/);
    expect(r.stderr).not.toMatch(/dist\/bundle/);
  });

  it('carries Ink in the dashboard\'s chunk: with DEV=true it warns that the React devtools are absent and goes on, as Ink does unbundled', () => {
    const chunk = readdirSync(BUNDLE).find((f) => f.startsWith('run-dashboard-'));
    expect(chunk).toBeDefined();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(BUNDLE, chunk!))}); console.log(typeof m.runDashboard);`], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DEV: 'true', NODE_ENV: 'production' } });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('function');
    expect(r.stderr).toContain('react-devtools-core');
  });
});
