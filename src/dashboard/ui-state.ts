/**
 * The dashboard's own state (what is selected and how it is shown), as a reducer: keys become
 * actions, actions become state. Nothing here knows about the lab; the lab's state is the snapshot.
 */
import type { Clock } from '../metrics/latency.js';

export type View = 'main' | 'stacks' | 'subscribers' | 'overheads';
export const VIEWS: readonly View[] = ['main', 'stacks', 'subscribers', 'overheads'];

export interface UiState {
  view: View;
  /** Index of the selected subscriber. */
  subscriber: number;
  /** Index of the selected group within the selected subscriber's configured groups. */
  group: number;
  clock: Clock;
  window: 'last' | 'total';
  help: boolean;
  /** A one-line message about the last action (its result or why it could not be done). */
  notice: string | null;
}

export const INITIAL_UI: UiState = { view: 'main', subscriber: 0, group: 0, clock: 'scheduled', window: 'last', help: false, notice: null };

export type UiAction =
  | { type: 'next-subscriber'; count: number }
  | { type: 'previous-subscriber'; count: number }
  | { type: 'next-group'; count: number }
  | { type: 'previous-group'; count: number }
  | { type: 'toggle-clock' }
  | { type: 'toggle-window' }
  | { type: 'next-view' }
  | { type: 'toggle-help' }
  | { type: 'notice'; text: string | null };

export function uiReducer(s: UiState, a: UiAction): UiState {
  switch (a.type) {
    case 'next-subscriber':
      return { ...s, subscriber: a.count === 0 ? 0 : (s.subscriber + 1) % a.count, group: 0 };
    case 'previous-subscriber':
      return { ...s, subscriber: a.count === 0 ? 0 : (s.subscriber + a.count - 1) % a.count, group: 0 };
    case 'next-group':
      return { ...s, group: a.count === 0 ? 0 : (s.group + 1) % a.count };
    case 'previous-group':
      return { ...s, group: a.count === 0 ? 0 : (s.group + a.count - 1) % a.count };
    case 'toggle-clock':
      return { ...s, clock: s.clock === 'scheduled' ? 'sent' : 'scheduled' };
    case 'toggle-window':
      return { ...s, window: s.window === 'last' ? 'total' : 'last' };
    case 'next-view':
      return { ...s, view: VIEWS[(VIEWS.indexOf(s.view) + 1) % VIEWS.length], help: false };
    case 'toggle-help':
      return { ...s, help: !s.help };
    case 'notice':
      return { ...s, notice: a.text };
  }
}

/** Replay speeds that + and - step through (0 = top speed). */
export const SPEEDS: readonly number[] = [0.25, 0.5, 1, 2, 4, 8, 16, 0];

export function stepSpeed(current: number, direction: 1 | -1): number {
  const i = SPEEDS.indexOf(current);
  if (i < 0) {
    // Off the ladder (a config's own speed): go to the nearest step in that direction.
    const finite = SPEEDS.filter((x) => x > 0);
    if (current === 0) return direction > 0 ? 0 : 16;
    return direction > 0 ? finite.find((x) => x > current) ?? 0 : [...finite].reverse().find((x) => x < current) ?? finite[0];
  }
  return SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + direction))];
}
