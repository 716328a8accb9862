import { writeFileSync, renameSync } from 'node:fs';
import type { Command } from 'commander';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { loadConfig } from '../experiment/config.js';
import { Lab } from '../experiment/lab.js';
import { formatReport } from '../experiment/report.js';
import type { LabSnapshot } from '../experiment/snapshot.js';
import { act } from './action.js';
import { parseDuration } from './duration.js';
import { Progress } from './progress.js';
import { MdlabError } from '../errors.js';
import { COUNTERS, describeCounters } from '../metrics/counters.js';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

interface RunFlags {
  headless?: boolean;
  duration?: string;
  speed?: string;
  json?: string;
  quiet?: boolean;
}

export function parseSpeed(text: string): number {
  if (text === 'top') return 0;
  const n = Number(text.replace(/x$/, ''));
  if (!Number.isFinite(n) || n <= 0 || n > 10000) throw new MdlabError(`--speed ${JSON.stringify(text)}: expected a multiple of the recorded pace (such as 1, 2.5 or 10) or "top"`);
  return n;
}

/** The JSON result: the final snapshot with what produced it. */
export function resultDocument(s: LabSnapshot): object {
  return {
    mdlab: pkg.version, node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', finishedAt: new Date().toISOString(),
    ...s,
    counters: COUNTERS,
  };
}

/** Writes a file so that it is either complete or absent: to NAME.partial, then renamed. */
export function writeFileAtomic(path: string, text: string): void {
  writeFileSync(`${path}.partial`, text);
  renameSync(`${path}.partial`, path);
}

export async function runHeadless(configFile: string, flags: RunFlags): Promise<number> {
  const config = loadConfig(configFile);
  const lab = new Lab(config, {
    durationNs: flags.duration ? parseDuration(flags.duration, '--duration') : undefined,
    speed: flags.speed ? parseSpeed(flags.speed) : undefined,
  });
  const progress = new Progress(`mdlab ${config.name}`, flags.quiet === true);
  lab.subscribe((s) => {
    const total = s.config.durationMs;
    progress.update(`${(s.runMs / 1000).toFixed(1)} s · ${Math.round(s.nic.packetsPerSecond).toLocaleString('en-US')} pkt/s · ${s.events.length} events`, total ? Math.min(1, s.runMs / total) : undefined);
  });
  // Ctrl-C once: end the replay and report; twice: stop at once. Either way nothing is left behind.
  let interrupted = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted++;
    if (interrupted === 1) {
      process.stderr.write(`\nmdlab: ${sig}: ending the run (again to stop at once)\n`);
      lab.stop();
    } else {
      void lab.teardown().then(() => process.exit(130));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    await lab.start();
    for (const w of lab.snapshot().warnings) process.stderr.write(`mdlab: warning: ${w}\n`);
    const final = await lab.finish();
    progress.done();
    process.stdout.write(formatReport(final));
    if (flags.json) writeFileAtomic(flags.json, `${JSON.stringify(resultDocument(final), null, 2)}\n`);
    if (final.error) throw new MdlabError(final.error);
    if (interrupted > 0) return 130;
    return final.totals.balanced ? 0 : 1;
  } finally {
    progress.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    await lab.teardown();
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a lab: replay a recording through the emulated NIC to real subscriber processes, and report')
    .argument('[config]', 'lab config (YAML or JSON), e.g. configs/default.yaml')
    .option('--headless', 'no dashboard: run, then print the report (the default without a terminal)')
    .option('--duration <d>', 'stop the replay after this long (500ms, 10s, 2m)')
    .option('--speed <x>', 'replay speed: a multiple of the recorded pace, or "top"')
    .option('--json <file>', 'also write the full result as JSON')
    .option('--quiet', 'no progress line')
    .option('--describe', 'list every counter the report and the JSON carry, with what it means, and exit')
    .action(act(async (config: string | undefined, flags: RunFlags & { describe?: boolean }) => {
      if (flags.describe) {
        process.stdout.write(describeCounters());
        return 0;
      }
      if (!config) throw new MdlabError('a config is needed: mdlab run CONFIG (for example configs/default.yaml)');
      // The dashboard needs a terminal; in a pipe or CI the same run goes headless.
      if (!flags.headless && process.stdout.isTTY && process.stdin.isTTY) {
        // React's development build checks far more per render; the dashboard runs it as shipped.
        process.env.NODE_ENV ??= 'production';
        const { runDashboard } = await import('../dashboard/run-dashboard.js');
        return runDashboard(loadConfig(config), {
          durationNs: flags.duration ? parseDuration(flags.duration, '--duration') : undefined,
          speed: flags.speed ? parseSpeed(flags.speed) : undefined,
        });
      }
      return runHeadless(config, flags);
    }));
}
