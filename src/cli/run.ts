import { mkdirSync } from 'node:fs';
import { checkOutputDir, checkOutputFile } from './output-path.js';
import { dirname, join } from 'node:path';
import { DEFAULT_PROFILE, loadProfile, shippedProfiles } from '../model/profile.js';
import { runModel } from '../model/model-run.js';
import type { Command } from 'commander';
import { loadConfig, readConfigFile, validateConfig, type LabConfig } from '../experiment/config.js';
import { evaluate, formatVerdicts, type Verdict } from '../experiment/expectations.js';
import { reportMarkdown, resultJson, writeFileAtomic, writeResults, type ResultMeta } from '../experiment/results.js';
import { describePoint, formatSweep, sweepRow, type SweepRow } from '../experiment/sweep-table.js';
import { sweepPoints, type SweepPoint } from '../experiment/sweep.js';
import { hostFacts } from '../experiment/host.js';
import { Lab } from '../experiment/lab.js';
import { ensureWarden } from '../experiment/children.js';
import { formatReport } from '../experiment/report.js';
import type { LabSnapshot } from '../experiment/snapshot.js';
import { act } from './action.js';
import { parseDuration } from '../metrics/duration.js';
import { Progress } from './progress.js';
import { SAME_REQUEST_MS, signalAction } from './interrupts.js';
import { MdlabError } from '../errors.js';
import { describeCounters } from '../metrics/counters.js';

/** The signals that end a run (interrupts.ts). */
const RUN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const HEADLESS_SNAPSHOT_MS = 500;

interface RunFlags {
  headless?: boolean;
  duration?: string;
  speed?: string;
  json?: string;
  out?: string;
  quiet?: boolean;
  model?: boolean;
  profile?: string;
}

export function parseSpeed(text: string): number {
  if (text === 'top') return 0;
  const n = Number(text.replace(/x$/, ''));
  if (!Number.isFinite(n) || n <= 0 || n > 10000) throw new MdlabError(`--speed ${JSON.stringify(text)}: expected a multiple of the recorded pace (such as 1, 2.5 or 10) or "top"`);
  return n;
}



interface RunOutcome {
  snapshot: LabSnapshot;
  verdicts: Verdict[];
  interrupted: boolean;
  meta: ResultMeta;
}

/** report.html and the plots beside the other result files; a plot that cannot be drawn costs the run one warning line, not its results. */
async function htmlReport(out: string, s: LabSnapshot, series: ReturnType<Lab['latencySeries']>, verdicts: Verdict[], meta: ResultMeta): Promise<void> {
  try {
    // Vega takes a fifth of a second to load: only a run that writes results pays for it.
    const { writeReportHtml } = await import('../experiment/report-html.js');
    await writeReportHtml(out, s, series, verdicts, meta, reportMarkdown(s, verdicts, meta));
  } catch (err) {
    process.stderr.write(`mdlab: warning: report.html was not written: ${(err as Error).message.split('\n')[0]}\n`);
  }
}

/** The profile a model run uses: --profile, else the config's model:, else the default; null for a live run. */
function modelProfile(config: LabConfig, flags: RunFlags): string | null {
  if (flags.profile !== undefined && !flags.model && config.model === null) throw new MdlabError('--profile is for model mode: add --model (or model: in the config)');
  if (!flags.model && config.model === null) return null;
  return flags.profile ?? config.model?.profile ?? DEFAULT_PROFILE;
}

/** A model run (DESIGN §12): virtual time, the same snapshot, results and expectations as a live one. */
async function runModelOne(config: LabConfig, flags: RunFlags, profileName: string, point: Record<string, unknown> | undefined, out: string | undefined): Promise<RunOutcome> {
  const loaded = loadProfile(profileName, dirname(config.file));
  const profile = config.model?.cores ? { ...loaded, cores: config.model.cores, description: `${loaded.description}; ${config.model.cores} cores, as the config sets` } : loaded;
  const r = await runModel(config, {
    profile,
    durationNs: flags.duration ? parseDuration(flags.duration, '--duration') : undefined,
    speed: flags.speed ? parseSpeed(flags.speed) : undefined,
  });
  const verdicts = evaluate(config.expect, r.snapshot, point);
  // Deterministic files: the host facts without a wall-clock time (the run's end is virtual).
  const meta: ResultMeta = { complete: true, host: { ...hostFacts(), finishedAt: new Date(r.startedAtMs + r.snapshot.runMs).toISOString() }, point, labConfig: config, startedAtMs: r.startedAtMs };
  if (out) {
    const series = r.series();
    writeResults(out, r.snapshot, series, verdicts, meta);
    await htmlReport(out, r.snapshot, series, verdicts, meta);
  }
  if (!flags.quiet) process.stderr.write(`mdlab: model run: ${r.deliveries.toLocaleString('en-US')} deliveries simulated in ${(r.simMs / 1000).toFixed(2)} s (${Math.round(r.deliveries / Math.max(1e-3, r.simMs / 1000)).toLocaleString('en-US')}/s; ${(r.wallMs / 1000).toFixed(2)} s with the recording read)\n`);
  return { snapshot: r.snapshot, verdicts, interrupted: false, meta };
}

/** One run: start, report, results; Ctrl-C ends the replay and still reports (marked partial). */
async function runOne(config: LabConfig, flags: RunFlags, point: Record<string, unknown> | undefined, out: string | undefined, label: string): Promise<RunOutcome> {
  const profileName = modelProfile(config, flags);
  if (profileName !== null) return runModelOne(config, flags, profileName, point, out);
  const lab = new Lab(config, {
    durationNs: flags.duration ? parseDuration(flags.duration, '--duration') : undefined,
    speed: flags.speed ? parseSpeed(flags.speed) : undefined,
    keepIntervals: out !== undefined,
    // Headless, nobody watches frames: two snapshots a second are enough for the progress line,
    // the interval histograms and host health, and cost the host half what the dashboard's four do.
    snapshotMs: HEADLESS_SNAPSHOT_MS,
  });
  const progress = new Progress(label, flags.quiet === true);
  lab.subscribe((s) => {
    const total = s.config.durationMs;
    progress.update(`${(s.runMs / 1000).toFixed(1)} s · ${Math.round(s.nic.packetsPerSecond).toLocaleString('en-US')} pkt/s · ${s.events.length} events`, total ? Math.min(1, s.runMs / total) : undefined);
  });
  let interrupted = 0;
  let firstSignalMs: number | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    const now = performance.now();
    switch (signalAction(firstSignalMs, now)) {
      case 'end':
        firstSignalMs = now;
        interrupted++;
        process.stderr.write(`\nmdlab: ${sig}: ending the run (again to stop at once)\n`);
        lab.stop();
        break;
      case 'repeat':
        break;
      case 'abort':
        process.stderr.write(`mdlab: ${sig} again: stopping at once, without a report\n`);
        void lab.teardown().then(() => process.exit(130));
        break;
    }
  };
  for (const sig of RUN_SIGNALS) process.on(sig, onSignal);
  try {
    try {
      await lab.start();
    } catch (err) {
      // A lab that could not start still leaves what it had, marked partial, where results were asked for.
      if (out) {
        try {
          writeResults(out, lab.snapshot(), [], [], { complete: false, host: hostFacts(), point, labConfig: config, startedAtMs: Date.now() });
        } catch {
          // nothing was built yet: no result to write
        }
      }
      throw err;
    }
    for (const w of lab.snapshot().warnings) process.stderr.write(`mdlab: warning: ${w}\n`);
    const final = await lab.finish();
    progress.done();
    const verdicts = evaluate(config.expect, final, point);
    const meta: ResultMeta = { complete: interrupted === 0 && !final.error, host: hostFacts(), point, labConfig: config, startedAtMs: lab.startedAtMs };
    if (out) {
      const series = lab.latencySeries();
      writeResults(out, final, series, verdicts, meta);
      await htmlReport(out, final, series, verdicts, meta);
    }
    return { snapshot: final, verdicts, interrupted: interrupted > 0, meta };
  } finally {
    progress.done();
    await lab.teardown();
    for (const sig of RUN_SIGNALS) process.off(sig, onSignal);
    // The repeat of the signal that ended the run may still be on its way (timeout(1) sends two):
    // a lab that ends quickly is done before it lands, and one that landed as the process exited
    // killed it (status: SIGINT, not 130). Swallowed for the rest of the first signal's window,
    // which the process waits out (at most SAME_REQUEST_MS).
    if (firstSignalMs !== null) swallowRepeats(firstSignalMs);
  }
}

/** Ignores RUN_SIGNALS until SAME_REQUEST_MS after `firstAtMs` (performance.now()), keeping the process until then. */
function swallowRepeats(firstAtMs: number): void {
  const ignore = (): void => {};
  const left = firstAtMs + SAME_REQUEST_MS - performance.now();
  if (left <= 0) return;
  for (const sig of RUN_SIGNALS) process.on(sig, ignore);
  setTimeout(() => {
    for (const sig of RUN_SIGNALS) process.off(sig, ignore);
  }, left);
}

/** Where results go, checked once the config is known good and before any process starts. */
function checkOutputs(flags: RunFlags): void {
  if (flags.out) checkOutputDir('--out', flags.out);
  if (flags.json) checkOutputFile('--json', flags.json);
}

export async function runHeadless(configFile: string, flags: RunFlags): Promise<number> {
  const raw = readConfigFile(configFile);
  const points = sweepPoints(raw, configFile);
  if (points.length > 0) {
    checkOutputs(flags);
    return runSweep(configFile, points, flags);
  }
  const config = validateConfig(raw, configFile, { model: flags.model });
  checkOutputs(flags);
  const r = await runOne(config, flags, undefined, flags.out, `mdlab ${config.name}`);
  process.stdout.write(formatReport(r.snapshot));
  if (r.verdicts.length > 0) process.stdout.write(`\n${formatVerdicts(r.verdicts)}`);
  if (flags.json) writeFileAtomic(flags.json, resultJson(r.snapshot, r.verdicts, r.meta));
  if (flags.out) process.stdout.write(`\nresults in ${flags.out}${r.interrupted ? ' (PARTIAL: the run was interrupted)' : ''}\n`);
  if (r.snapshot.error) throw new MdlabError(r.snapshot.error);
  if (r.interrupted) return 130;
  return r.snapshot.totals.balanced && r.verdicts.every((v) => v.passed) ? 0 : 1;
}

/** Every point of a sweep, one after another; a result per point and a table across them. */
async function runSweep(configFile: string, points: SweepPoint[], flags: RunFlags): Promise<number> {
  const rows: SweepRow[] = [];
  // Every point is validated before the first one runs: a bad point 7 fails at once, not after six runs.
  const configs = points.map((p) => {
    try {
      return validateConfig(p.raw, configFile, { model: flags.model });
    } catch (err) {
      if (err instanceof MdlabError) throw new MdlabError(`${err.message} (sweep point ${p.index + 1}: ${describePoint(p.values)})`);
      throw err;
    }
  });
  for (const p of points) {
    const config = configs[p.index];
    process.stderr.write(`mdlab: sweep point ${p.index + 1} of ${points.length}: ${describePoint(p.values)}\n`);
    const r = await runOne(config, flags, p.values, flags.out ? join(flags.out, p.name) : undefined, `point ${p.index + 1}/${points.length}`);
    rows.push(sweepRow(p, r.snapshot, r.verdicts));
    if (r.interrupted) break;
  }
  const text = formatSweep(rows);
  process.stdout.write(text);
  if (flags.out) {
    mkdirSync(flags.out, { recursive: true });
    writeFileAtomic(join(flags.out, 'sweep.md'), `# mdlab sweep: ${configFile}\n\n\`\`\`\n${text}\`\`\`\n`);
    writeFileAtomic(join(flags.out, 'sweep.json'), `${JSON.stringify({ ...hostFacts(), config: configFile, points: rows }, null, 2)}\n`);
    process.stdout.write(`\nresults in ${flags.out}: one directory per point, sweep.md, sweep.json\n`);
  }
  return rows.every((r) => r.failed === 0 && r.balanced) && rows.length === points.length ? 0 : 1;
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
    .option('--out <dir>', 'write result files: summary.json, percentiles.csv, report.md, HdrHistogram .hlog logs (a sweep: one directory per point)')
    .option('--quiet', 'no progress line')
    .option('--model', 'model mode: the same lab in virtual time, costed by a profile (DESIGN §12); deterministic, at any scale')
    .option('--profile <name|file>', `model mode's cost profile: a shipped one (${shippedProfiles().join(', ')}) or a file mdlab calibrate wrote`)
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
        const loaded = loadConfig(config, { model: flags.model });
        checkOutputs(flags);
        const profileName = modelProfile(loaded, flags);
        const base = profileName === null ? undefined : loadProfile(profileName, dirname(loaded.file));
        const profile = base && loaded.model?.cores ? { ...base, cores: loaded.model.cores } : base;
        // The lab's warden is a Node process to boot (~110 ms here): it boots while Ink loads,
        // not after. The lab awaits it before its first segment, and sees its failure there.
        if (!profile) ensureWarden().catch(() => undefined);
        const { runDashboard } = await import('../dashboard/run-dashboard.js');
        return runDashboard(loaded, {
          durationNs: flags.duration ? parseDuration(flags.duration, '--duration') : undefined,
          speed: flags.speed ? parseSpeed(flags.speed) : undefined,
          profile,
        });
      }
      return runHeadless(config, flags);
    }));
}
