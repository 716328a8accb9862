#!/usr/bin/env node
/**
 * Bundles the CLI (tsc's dist/cli/main.js and all it imports) into dist/bundle/: main.js, and a
 * chunk for each part it loads on demand (the dashboard, the HTML reports). `bin/mdlab.js` runs
 * it. Node's ESM loader resolved, read and linked each of the ~800 modules one by one: ~250 ms
 * of the CLI's start and ~550 ms of the dashboard's (Ink imports one function from es-toolkit's
 * compat barrel, 415 modules) before its first frame. Run by `npm install` after tsc.
 *
 * The subscriber process is bundled too, as one CommonJS file (subscriber-process.cjs), for its
 * memory: an ES module entry makes Node load its ESM loader (fs/promises, readline and more) and
 * keep it, ~1.5 MB of the subscriber's peak RSS (the bench's subscriber row). The NIC and the
 * warden still run tsc's dist/ modules.
 *
 * The bundle sits one level below dist/, as every module in it did, so that their paths from
 * import.meta.url (the addon, configs/profiles, the recordings, package.json) hold. Vega and
 * Vega-Lite stay in node_modules: the HTML report loads them when it is written.
 */
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['vega', 'vega-lite'],
  // CommonJS dependencies (commander, yaml, hdr-histogram-js, React) require Node's own modules: give the bundle a real require.
  banner: { js: "import { createRequire as mdlabCreateRequire } from 'node:module';\nconst require = mdlabCreateRequire(import.meta.url);" },
  plugins: [{
    // With DEV=true Ink reads its own package.json beside its build: from the bundle, that is in node_modules.
    name: 'ink-package-json',
    setup(b) {
      b.onLoad({ filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        const from = "new URL('../package.json', import.meta.url)";
        if (!text.includes(from)) throw new Error(`bundle: ${args.path} no longer reads its package.json as expected; look again at this plugin`);
        return { contents: text.replace(from, "new URL('../../node_modules/ink/package.json', import.meta.url)"), loader: 'js' };
      });
    },
  }, {
    // Ink's React-devtools hook, loaded only with DEV=true, needs a package mdlab does not install: as unbundled, Ink warns and goes on.
    name: 'no-react-devtools',
    setup(b) {
      b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'mdlab-stub' }));
      b.onLoad({ filter: /.*/, namespace: 'mdlab-stub' }, () => ({
        contents: "const e = new Error(\"Cannot find package 'react-devtools-core'\"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e;",
        loader: 'js',
      }));
    },
  }],
  logLevel: 'warning',
  legalComments: 'inline',
  // Read only with MDLAB_DEBUG (bin/mdlab.js): stacks then name dist/'s modules and lines.
  sourcemap: true,
});

// The subscriber: CommonJS has no import.meta, so each module's URL is the bundle's own (the
// same directory depth as the module's in dist/, so its relative paths resolve alike).
await build({
  entryPoints: [join(root, 'dist', 'subscriber', 'subscriber-process.js')],
  outfile: join(outdir, 'subscriber-process.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  define: { 'import.meta.url': 'mdlabModuleUrl' },
  banner: { js: "const mdlabModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
  sourcemap: true,
});
