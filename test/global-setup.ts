/**
 * End-to-end tests run the compiled mdlab (child processes are `dist/` modules, the CLI is
 * bin/mdlab.js): build once before the suite, as npm install does, so they never test a stale build.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/shared.js';

export default function setup(): void {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  // As `npm run build` does: bin/mdlab.js runs the CLI bundled, and the lab its subscribers (scripts/bundle.mjs).
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], { stdio: 'inherit' });
  if (!existsSync(join(ROOT, 'build', 'Release', 'mdlab_shm.node'))) {
    throw new Error('the shared-memory addon is not built: run npm install');
  }
}
