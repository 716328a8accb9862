/** Where ../shared is (beside the checkout, as in CI). Tests that need it skip, saying why, without it. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = resolve(ROOT, '..', 'shared');
export const INTEROP = join(SHARED, 'interop');
export const CAPTURES = join(INTEROP, 'nasdaq-itch5-captures');
export const HAS_INTEROP = existsSync(CAPTURES);
export const INTEROP_NOTE = HAS_INTEROP ? '' : ' [skipped: ../shared/interop is absent, as in a user\'s own clone]';
export const MDLAB = join(ROOT, 'bin', 'mdlab.js');
