/**
 * How a run answers SIGINT, SIGTERM and SIGHUP: the first ends the run, which still reports
 * (marked partial); a second, the user's "now", stops at once. One request often arrives twice:
 * timeout(1) sends its signal to the command and then to its own process group, which holds the
 * command as well, so the controller gets two within microseconds (a terminal's Ctrl-C reaches
 * the group once). A signal that soon after the first is the same request, not a second one:
 * taken as "stop at once", a `timeout -s INT` run ended without a report.
 */

/** A repeat within this long of the first signal is the same request (a person's second Ctrl-C takes longer). */
export const SAME_REQUEST_MS = 300;

export type SignalAction = 'end' | 'repeat' | 'abort';

/** What a signal at `nowMs` asks for, given when the first came (null: none yet). */
export function signalAction(firstAtMs: number | null, nowMs: number): SignalAction {
  if (firstAtMs === null) return 'end';
  return nowMs - firstAtMs < SAME_REQUEST_MS ? 'repeat' : 'abort';
}
