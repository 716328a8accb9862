/**
 * `npm run bench [-- --quick] [--out FILE]`: runs the bench, prints its table and writes
 * bench/results.json (figures, ratios, host facts). Not part of `npm test`.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../experiment/results.js';
import { PROFILES, runBench, type BenchProfile } from './run-bench.js';
import { formatBench } from './table.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function parseArgs(argv: string[]): { profile: BenchProfile; out: string } {
  let profile = PROFILES.full;
  let out = join(ROOT, 'bench', 'results.json');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') profile = PROFILES.quick;
    else if (a === '--out' && argv[i + 1]) out = resolve(argv[++i]);
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench [-- --quick] [--out FILE]\n  --quick  small sizes, two repetitions (under a minute): checks that the bench runs\n  --out    results file (default bench/results.json)\n');
      process.exit(0);
    } else {
      process.stderr.write(`mdlab bench: unknown option ${a} (try --help)\n`);
      process.exit(2);
    }
  }
  return { profile, out };
}

async function main(): Promise<void> {
  const { profile, out } = parseArgs(process.argv.slice(2));
  process.stderr.write(`mdlab bench, ${profile.name} profile\n`);
  const r = await runBench(profile, { root: ROOT, log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${formatBench(r)}\n`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileAtomic(out, `${JSON.stringify(r, null, 2)}\n`);
  process.stdout.write(`results in ${out}\n`);
}

main().then(() => process.exit(0), (e: unknown) => {
  process.stderr.write(`mdlab bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
