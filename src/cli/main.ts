/**
 * The `mdlab` command line. Errors a user can act on print as one line and exit non-zero;
 * MDLAB_DEBUG=1 adds the stack.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { MdlabError } from '../errors.js';
import { takeExitCode } from './action.js';
import { registerInspect } from './inspect.js';
import { registerDecode } from './decode.js';
import { registerSynth } from './synth.js';
import { registerRun } from './run.js';
import { registerStackdump } from './stackdump.js';
import { registerDoctor } from './doctor.js';
import { registerCalibrate } from './calibrate.js';
import { registerRequestServer } from './request-server.js';
import { registerCompare } from './compare.js';
import { registerReplayRecord } from './replay-record.js';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mdlab')
    .description('multicast market-data kernel-bypass lab: emulated NIC and Onload stacks, the real kernel path, real subscriber processes')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRun(program);
  registerSynth(program);
  registerInspect(program);
  registerDecode(program);
  registerStackdump(program);
  registerDoctor(program);
  registerCalibrate(program);
  registerRequestServer(program);
  registerCompare(program);
  registerReplayRecord(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** A terminal that went away (hangup, a closed pipe) must not crash a run before its teardown. */
function ignoreVanishedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  ignoreVanishedOutput();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return takeExitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage errors have been printed by commander already.
      return err.exitCode;
    }
    const debug = process.env.MDLAB_DEBUG === '1';
    if (err instanceof MdlabError) {
      process.stderr.write(`mdlab: ${err.message}\n`);
    } else if (err instanceof Error && (err as NodeJS.ErrnoException).code === 'EPIPE') {
      return 0;
    } else {
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`mdlab: internal error: ${msg}${debug ? '' : ' (MDLAB_DEBUG=1 shows the stack)'}\n`);
    }
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
