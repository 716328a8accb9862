import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as shim from '../../src/dashboard/ink.js';
import { ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const TMP = tempDir('mdlab-ink-bundle-');
const BUNDLE = join(ROOT, 'dist', 'dashboard', 'ink.js');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
}

/** Modules Node's loader loads when a fresh process imports `what`, counted by a load hook. */
function modulesLoadedBy(what: string): number {
  const dir = TMP.dir;
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(hooks, 'let n = 0;\nexport async function load(url, context, next) { n++; if (url.endsWith("/count-now")) return { format: "module", source: `export default ${n}`, shortCircuit: true }; return next(url, context); }\nexport async function resolve(s, c, next) { return s === "count-now" ? { url: "file:///count-now", shortCircuit: true } : next(s, c); }\n');
  const script = `import { register } from 'node:module';
register(${JSON.stringify(`file://${hooks}`)});
await import(${JSON.stringify(what)});
const { default: n } = await import('count-now');
console.log(n);`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' } }).trim());
}

describe('Ink, bundled for the dashboard\'s first frame', () => {
  it('is taken by every dashboard file from src/dashboard/ink.ts, so that the bundle is the only Ink at run time', () => {
    const direct = sources(join(ROOT, 'src')).filter((f) => !f.endsWith(join('dashboard', 'ink.ts')) && /from 'ink'/.test(readFileSync(f, 'utf8')));
    expect(direct).toEqual([]);
  });

  it('is one file at run time (npm install bundles it): a handful of modules to load, not Ink\'s ~500', () => {
    const bundled = modulesLoadedBy(BUNDLE);
    const plain = modulesLoadedBy('ink');
    expect(plain).toBeGreaterThan(100);
    expect(bundled).toBeLessThan(30); // the bundle, React, Node's own modules
  });

  it('exports what the shim exports, and renders with the one React from node_modules', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
      const ink = await import(${JSON.stringify(BUNDLE)});
      const React = (await import('react')).default;
      console.log(JSON.stringify({ names: Object.keys(ink).sort(), text: ink.renderToString(React.createElement(ink.Box, { borderStyle: 'single' }, React.createElement(ink.Text, null, 'mdlab')), { columns: 7 }) }));`], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' } });
    const r = JSON.parse(out) as { names: string[]; text: string };
    expect(r.names).toEqual(Object.keys(shim).sort());
    expect(r.text.split('\n')).toEqual(['┌─────┐', '│mdlab│', '└─────┘']);
  });
});
