#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ and bundled into dist/bundle/ by `npm install` (the prepare script).
import { main } from '../dist/bundle/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`mdlab: ${err instanceof Error ? err.message : String(err)}`); process.exitCode = 1; },
);
