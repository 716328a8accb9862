import { checkOutputFile } from './output-path.js';
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { MdlabError, quote } from '../errors.js';
import { calibrate } from '../model/calibrate.js';
import { validateProfile } from '../model/profile.js';
import { act } from './action.js';

const BUNDLED = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'recordings', 'default.pcap');

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description('measure this host (run it idle) and write a host cost profile for model mode: mdlab run CONFIG --model --profile FILE')
    .option('--out <file>', 'where to write the profile', 'host-profile.json')
    .action(act(async (f: { out: string }) => {
      checkOutputFile('--out', f.out);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      log('mdlab calibrate: measuring this host (about half a minute; keep it idle)');
      const c = await calibrate(BUNDLED, log);
      // What calibrate writes must load back as a profile.
      validateProfile(c, f.out);
      try {
        writeFileSync(f.out, `${JSON.stringify(c, null, 2)}\n`);
      } catch (err) {
        throw new MdlabError(`--out ${quote(f.out)}: cannot write it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      process.stdout.write(`wrote ${f.out}: a host profile (${c.cores} cores); run a model with it: mdlab run configs/default.yaml --model --profile ${f.out}\n`);
      return 0;
    }));
}
