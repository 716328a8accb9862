#!/usr/bin/env node
/**
 * Replaces dist/dashboard/ink.js (tsc's output of src/dashboard/ink.ts, a re-export of Ink) with
 * one file holding Ink and its dependencies: the dashboard's first frame waited ~550 ms for Node's
 * ESM loader to load Ink's 500 modules, 415 of them es-toolkit's compat barrel, for one function.
 * React stays outside (one React for Ink's reconciler and the dashboard's components), and Ink's
 * React-devtools hook, loaded only with DEV=true, is left out, as when it is not installed. Run by `npm install` after tsc.
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(root, 'src', 'dashboard', 'ink.ts')],
  outfile: join(root, 'dist', 'dashboard', 'ink.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['react'],
  // Ink's CommonJS dependencies require Node's own modules: give the bundle a real require.
  banner: { js: "import { createRequire as mdlabCreateRequire } from 'node:module';\nconst require = mdlabCreateRequire(import.meta.url);" },
  plugins: [{
    // With DEV=true Ink reads its own package.json beside its build: from the bundle, that is in node_modules.
    name: 'ink-package-json',
    setup(b) {
      b.onLoad({ filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/ }, async (args) => {
        const { readFile } = await import('node:fs/promises');
        const text = await readFile(args.path, 'utf8');
        const from = "new URL('../package.json', import.meta.url)";
        if (!text.includes(from)) throw new Error(`bundle-ink: ${args.path} no longer reads its package.json as expected; look again at this plugin`);
        return { contents: text.replace(from, "new URL('../../node_modules/ink/package.json', import.meta.url)"), loader: 'js' };
      });
    },
  }, {
    name: 'no-react-devtools',
    setup(b) {
      b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'mdlab-stub' }));
      b.onLoad({ filter: /.*/, namespace: 'mdlab-stub' }, () => ({
        // As when the package is not installed: Ink warns and goes on without the devtools.
        contents: "const e = new Error(\"Cannot find package 'react-devtools-core'\"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e;",
        loader: 'js',
      }));
    },
  }],
  logLevel: 'warning',
  legalComments: 'inline',
});
