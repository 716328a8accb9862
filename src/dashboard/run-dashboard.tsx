/**
 * The dashboard in a terminal: runs the lab, re-renders on each snapshot (a few times a second;
 * the engine never waits for the view), binds keys to the lab's actions, and on q (or Ctrl-C)
 * ends the run so that every process and segment is gone before it exits.
 */
import { RECORDED_PATHS } from '../metrics/latency.js';
import { render, renderToString, useApp, useInput, useStdout } from 'ink';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { useEffect, useReducer, useRef, useState } from 'react';
import type { LabConfig } from '../experiment/config.js';
import { Lab } from '../experiment/lab.js';
import { ModelLab } from '../model/model-lab.js';
import type { Profile } from '../model/profile.js';
import type { SubscriberSettings } from '../subscriber/settings.js';
import type { LabSnapshot } from '../experiment/snapshot.js';
import { MdlabError } from '../errors.js';
import { formatReport } from '../experiment/report.js';
import { App } from './App.js';
import { themeFor } from './theme.js';
import { INITIAL_UI, stepSpeed, uiReducer, type UiState } from './ui-state.js';

const HISTORY = 120;

/** What the dashboard drives: a live lab, or a model replay (src/model/model-lab.ts). */
export interface DashboardEngine {
  subscribe(l: (s: LabSnapshot) => void): () => void;
  start(): Promise<void>;
  finish(): Promise<LabSnapshot>;
  stop(): void;
  teardown(): Promise<void>;
  pause(): void;
  resume(): void;
  readonly speedNow: number;
  setSpeed(x: number): void;
  join(subscriber: string, group: string): Promise<void>;
  leave(subscriber: string, group: string): Promise<void>;
  kill(subscriber: string): Promise<void> | void;
  settingsOf(name: string): SubscriberSettings;
  addSubscriber(s: SubscriberSettings): Promise<void>;
}

interface DashboardProps {
  lab: DashboardEngine;
  config: LabConfig;
  /** Resolves when the run has ended and been torn down. */
  finished: Promise<LabSnapshot | null>;
}

function useTerminalSize(): { width: number; height: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState({ width: stdout.columns || 80, height: stdout.rows || 24 });
  useEffect(() => {
    const onResize = () => setSize({ width: stdout.columns || 80, height: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function Dashboard({ lab, config, finished }: DashboardProps) {
  const { exit } = useApp();
  const [snapshot, setSnapshot] = useState<LabSnapshot | null>(null);
  const [ui, dispatch] = useReducer(uiReducer, INITIAL_UI);
  const history = useRef(new Map<string, number[]>());
  const quitting = useRef(false);
  const { width, height } = useTerminalSize();
  const theme = themeFor();

  useEffect(
    () =>
      lab.subscribe((s) => {
        for (const sub of s.subscribers) {
          const lat = sub.memberships.flatMap((m) => RECORDED_PATHS.map((p) => m.latency[p].last.scheduled)).filter((l) => l.count > 0);
          if (lat.length === 0) continue;
          const h = history.current.get(sub.name) ?? [];
          h.push(Math.max(...lat.map((l) => l.p99)));
          if (h.length > HISTORY) h.shift();
          history.current.set(sub.name, h);
        }
        setSnapshot(s);
      }),
    [lab],
  );

  const notice = (text: string | null) => dispatch({ type: 'notice', text });
  const attempt = (what: () => Promise<void> | void, done: string) => {
    notice(`${done}…`);
    Promise.resolve()
      .then(what)
      .then(() => notice(done), (err: unknown) => notice(err instanceof MdlabError ? err.message : String(err)));
  };

  const quit = () => {
    if (quitting.current) return;
    quitting.current = true;
    notice('ending the run: stopping the NIC, draining subscribers, removing segments…');
    lab.stop();
    void finished.then(() => exit());
  };

  // Keys that arrive together (a paste, a fast typist, tmux send-keys) come as one string: each applies, in order.
  useInput((input, key) => {
    if (input.length > 1 && !key.ctrl && !key.meta && !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow) {
      for (const ch of input) onKey(ch, key);
      return;
    }
    onKey(input, key);
  });

  function onKey(input: string, key: Parameters<Parameters<typeof useInput>[0]>[1]): void {
    const s = snapshot;
    const running = s !== null && (s.state === 'running' || s.state === 'paused');
    const count = s?.subscribers.length ?? 0;
    const sub = s?.subscribers[ui.subscriber];
    const groups = sub ? config.subscribers.find((c) => c.name === sub.name)?.groups ?? sub.memberships.map((m) => m.group) : [];
    const group = groups[ui.group % Math.max(1, groups.length)];
    if (input === 'q' || (key.ctrl && input === 'c')) return quit();
    if (key.rightArrow) return dispatch({ type: 'next-subscriber', count });
    if (key.leftArrow) return dispatch({ type: 'previous-subscriber', count });
    if (key.downArrow) return dispatch({ type: 'next-group', count: groups.length });
    if (key.upArrow) return dispatch({ type: 'previous-group', count: groups.length });
    if (input === 'c') return dispatch({ type: 'toggle-clock' });
    if (input === 'w') return dispatch({ type: 'toggle-window' });
    if (input === 'v') return dispatch({ type: 'next-view' });
    if (input === '?') return dispatch({ type: 'toggle-help' });
    if (input === 'e' && s) return notice(exportScreen(s, ui, width, height, history.current));
    if (!running || !sub) return;
    if (input === ' ') {
      if (s.state === 'paused') lab.resume();
      else lab.pause();
      return;
    }
    if (input === '+' || input === '=' || input === '-') {
      const next = stepSpeed(lab.speedNow, input === '-' ? -1 : 1);
      lab.setSpeed(next);
      return notice(`replay at ${next === 0 ? 'top speed' : `${next}×`}`);
    }
    if (input === 'l' && group) return attempt(() => lab.leave(sub.name, group), `${sub.name} left ${group}`);
    if (input === 'j' && group) return attempt(() => lab.join(sub.name, group), `${sub.name} joined ${group}`);
    if (input === 'k') return attempt(() => lab.kill(sub.name), `${sub.name} killed (SIGKILL)`);
    if (input === 's') {
      const base = lab.settingsOf(sub.name);
      let n = 2;
      while (s.subscribers.some((x) => x.name === `${base.name}-${n}`)) n++;
      const name = `${base.name}-${n}`.slice(0, 24);
      return attempt(() => lab.addSubscriber({ ...base, name }), `${name} started`);
    }
  }

  return <App snapshot={snapshot} ui={ui} theme={theme} width={width} height={height} history={history.current} />;
}

/**
 * `e`: the screen as text (drawn again, without colour, at the terminal's size) and the snapshot
 * as JSON, into the working directory; returns where, for the notice line.
 */
function exportScreen(s: LabSnapshot, ui: UiState, width: number, height: number, history: ReadonlyMap<string, number[]>): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
  const screen = resolve(`mdlab-screen-${stamp}.txt`);
  const json = resolve(`mdlab-snapshot-${stamp}.json`);
  try {
    const text = renderToString(<App snapshot={s} ui={{ ...ui, notice: null }} theme={themeFor({ NO_COLOR: '1' })} width={width} height={height} history={history} />, { columns: width });
    writeFileSync(screen, `${text}\n`);
    writeFileSync(json, `${JSON.stringify(s, (_k, v) => (v === Infinity ? null : v), 2)}\n`);
  } catch (err) {
    return `could not export: ${(err as Error).message}`;
  }
  return `exported the screen to ${screen} and the snapshot to ${json}`;
}

const ALT_SCREEN_ON = '\x1b[?1049h\x1b[H';
const ALT_SCREEN_OFF = '\x1b[?1049l';

/**
 * Runs the lab under the dashboard until the user quits, on the terminal's alternate screen (the
 * shell's screen comes back afterwards, with the run's report). Returns the exit code.
 */
export async function runDashboard(config: LabConfig, options: { durationNs?: number | null; speed?: number; profile?: Profile }): Promise<number> {
  process.stdout.write(ALT_SCREEN_ON);
  let altScreen = true;
  const leaveAltScreen = () => {
    if (altScreen) process.stdout.write(ALT_SCREEN_OFF);
    altScreen = false;
  };
  process.once('exit', leaveAltScreen);
  try {
    const final = await dashboard(config, options);
    leaveAltScreen();
    if (final) process.stdout.write(formatReport(final));
    return final && final.totals.balanced && !final.error ? 0 : 1;
  } finally {
    leaveAltScreen();
    process.off('exit', leaveAltScreen);
  }
}

async function dashboard(config: LabConfig, options: { durationNs?: number | null; speed?: number; profile?: Profile }): Promise<LabSnapshot | null> {
  // With no duration, the dashboard replays the recording in a loop until you quit (a model replay plays it once).
  const loop = config.loop || (options.durationNs ?? config.durationNs) === null;
  const lab: DashboardEngine = options.profile ? new ModelLab(config, options.profile, options) : new Lab(config, { ...options, loop });
  let resolveFinished!: (s: LabSnapshot | null) => void;
  const finished = new Promise<LabSnapshot | null>((r) => (resolveFinished = r));
  const app = render(<Dashboard lab={lab} config={config} finished={finished} />, { exitOnCtrlC: false });
  const onSignal = () => {
    lab.stop();
  };
  // The terminal went away: stop drawing (writes would fail) and end the run as q does.
  let hungUp = false;
  const onHangup = () => {
    hungUp = true;
    process.stdout.on('error', () => undefined);
    app.unmount();
    lab.stop();
  };
  // A closed terminal (SIGHUP) or a kill ends the run as q does: nothing is left behind.
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHangup);
  let final: LabSnapshot | null = null;
  let error: unknown;
  try {
    await lab.start();
    final = await lab.finish();
  } catch (err) {
    error = err;
    await lab.teardown();
  } finally {
    resolveFinished(final);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHangup);
  }
  if (error) {
    app.unmount();
    throw error;
  }
  if (!hungUp) await app.waitUntilExit();
  return final;
}
