#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ and bundled into dist/bundle/ by `npm install` (the prepare script).
// With MDLAB_DEBUG set, stacks name the compiled modules (dist/…), not the bundle: its source map, read only then.
if (process.env.MDLAB_DEBUG) process.setSourceMapsEnabled(true);
const { main } = await import('../dist/bundle/main.js');

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`mdlab: ${err instanceof Error ? err.message : String(err)}`); process.exitCode = 1; },
);
