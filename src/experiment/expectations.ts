/**
 * Expectations: checks on a run's outcome, so an experiment is also a test (`mdlab run` exits
 * non-zero and lists what failed). Pure: a final snapshot in, a verdict per check out.
 */
import { RECORDED_PATHS } from '../metrics/latency.js';
import { deliveredTotal, droppedTotal } from './accounting.js';
import type { Expectation } from './config.js';
import { isPathEvent, type LabSnapshot, type MembershipSnapshot } from './snapshot.js';
import { formatUs } from './report.js';

export interface Verdict {
  where: string;
  check: string;
  passed: boolean;
  actual: string;
}

/** Whether an expectation applies to this sweep point (`when` matches the point's values). */
export function applies(x: Expectation, point: Record<string, unknown>): boolean {
  if (!x.when) return true;
  return Object.entries(x.when).every(([k, v]) => JSON.stringify(point[k] ?? null) === JSON.stringify(v ?? null));
}

function memberships(s: LabSnapshot, x: Expectation): { subscriber: string; m: MembershipSnapshot }[] {
  const out: { subscriber: string; m: MembershipSnapshot }[] = [];
  for (const sub of s.subscribers) {
    if (x.subscriber && sub.name !== x.subscriber) continue;
    // The latest membership per group (a rejoin starts a new one).
    const byGroup = new Map<string, MembershipSnapshot>();
    for (const m of sub.memberships) if (!x.group || m.group === x.group) byGroup.set(m.group, m);
    for (const m of byGroup.values()) out.push({ subscriber: sub.name, m });
  }
  return out;
}

const label = (subscriber: string, m: MembershipSnapshot) => `${subscriber} ${m.group}`;

export function evaluate(expectations: readonly Expectation[], s: LabSnapshot, point: Record<string, unknown> = {}): Verdict[] {
  const out: Verdict[] = [];
  // An experiment whose config the run could not carry out is not the experiment: each problem fails it.
  if (expectations.length > 0) for (const p of s.problems ?? []) out.push({ where: p.where, check: 'the run did what the config says', passed: false, actual: p.what });
  for (const x of expectations) {
    if (!applies(x, point)) continue;
    const scope = `${x.subscriber ?? 'every subscriber'}${x.group ? ` on ${x.group}` : ''}`;
    const ms = memberships(s, x);
    const each = (check: string, test: (subscriber: string, m: MembershipSnapshot) => [boolean, string]) => {
      if (ms.length === 0) {
        out.push({ where: x.where, check: `${scope}: ${check}`, passed: false, actual: 'no such membership in the run' });
        return;
      }
      const results = ms.map(({ subscriber, m }) => ({ who: label(subscriber, m), r: test(subscriber, m) }));
      const failed = results.filter((r) => !r.r[0]);
      out.push({
        where: x.where,
        check: `${scope}: ${check}`,
        passed: failed.length === 0,
        actual: (failed.length > 0 ? failed : results).map((r) => `${r.who}: ${r.r[1]}`).join('; '),
      });
    };
    if (x.path) each(`path ${x.path}`, (_, m) => [m.path === x.path, m.path]);
    if (x.cause) each(`cause ${x.cause}`, (_, m) => [m.cause === x.cause, m.cause ?? 'none']);
    for (const l of x.latency) {
      const bounds = [l.aboveNs > 0 ? `above ${formatUs(l.aboveNs)} µs` : '', l.belowNs < Infinity ? `below ${formatUs(l.belowNs)} µs` : ''].filter(Boolean).join(' and ');
      each(`${l.percentile} ${bounds} (${l.clock} clock${l.via ? `, ${l.via}` : ''})`, (_, m) => {
        const paths = l.via ? [l.via] : RECORDED_PATHS.filter((p) => m.latency[p].total[l.clock].count > 0);
        if (paths.length === 0) return [false, 'no packets'];
        const worst = Math.max(...paths.map((p) => m.latency[p].total[l.clock][l.percentile]));
        return [worst > 0 && worst < l.belowNs && worst > l.aboveNs, `${formatUs(worst)} µs`];
      });
    }
    if (x.recovered || x.unrecovered !== null) {
      const rs = ms.map(({ m }) => m.recovery).filter((r): r is NonNullable<typeof r> => !!r);
      const recovered = rs.reduce((n, r) => n + r.recovered, 0);
      const unrecovered = rs.reduce((n, r) => n + r.unrecovered, 0);
      if (x.recovered) {
        const rr = x.recovered;
        const range = rr.max === Infinity ? `at least ${rr.min}` : rr.min > 0 ? `${rr.min} to ${rr.max}` : `at most ${rr.max}`;
        out.push({ where: x.where, check: `${scope}: ${range} messages recovered`, passed: rs.length > 0 && recovered >= rr.min && recovered <= rr.max, actual: rs.length > 0 ? String(recovered) : 'no recovery in this run' });
      }
      if (x.unrecovered !== null) out.push({ where: x.where, check: `${scope}: at most ${x.unrecovered} messages unrecovered`, passed: rs.length > 0 && unrecovered <= x.unrecovered, actual: rs.length > 0 ? String(unrecovered) : 'no recovery in this run' });
    }
    if (x.requests !== null || x.lostOnBoth !== null || x.filledByLine || x.recoveryP99Ns !== null) {
      const rs = ms.flatMap(({ subscriber, m }) => (m.recovery ? [{ who: label(subscriber, m), r: m.recovery }] : []));
      const none = rs.length === 0;
      const sum = (f: (r: NonNullable<MembershipSnapshot['recovery']>) => number) => rs.reduce((n, { r }) => n + f(r), 0);
      const per = (f: (r: NonNullable<MembershipSnapshot['recovery']>) => number) => rs.map(({ who, r }) => `${who} ${f(r)}`).join(', ');
      if (x.requests !== null) {
        const n = sum((r) => r.requests);
        out.push({ where: x.where, check: `${scope}: at most ${x.requests} re-requests sent`, passed: !none && n <= x.requests, actual: none ? 'no recovery in this run' : `${n} (${per((r) => r.requests)})` });
      }
      const lined = rs.filter(({ r }) => r.lines);
      if (x.lostOnBoth !== null) {
        const n = lined.reduce((k, { r }) => k + r.lines!.lostOnBoth, 0);
        out.push({ where: x.where, check: `${scope}: at most ${x.lostOnBoth} messages lost on both lines`, passed: lined.length > 0 && n <= x.lostOnBoth, actual: lined.length === 0 ? 'no A/B arbitration in this scope' : String(n) });
      }
      if (x.filledByLine) {
        const f = x.filledByLine;
        const n = lined.reduce((k, { r }) => k + r.lines!.filledByLine, 0);
        const range = f.max === Infinity ? `at least ${f.min}` : f.min > 0 ? `${f.min} to ${f.max}` : `at most ${f.max}`;
        out.push({ where: x.where, check: `${scope}: ${range} gaps filled by the other line`, passed: lined.length > 0 && n >= f.min && n <= f.max, actual: lined.length === 0 ? 'no A/B arbitration in this scope' : `${n} (${lined.map(({ who, r }) => `${who} ${r.lines!.filledByLine}`).join(', ')})` });
      }
      if (x.recoveryP99Ns !== null) {
        const timed = rs.filter(({ r }) => r.times.count > 0);
        const worst = Math.max(0, ...timed.map(({ r }) => r.times.p99));
        out.push({
          where: x.where,
          check: `${scope}: recovery p99 below ${formatUs(x.recoveryP99Ns)} µs (gap seen to book whole)`,
          passed: timed.length > 0 && worst < x.recoveryP99Ns,
          actual: timed.length === 0 ? (none ? 'no recovery in this run' : 'no gap closed') : `${formatUs(worst)} µs (worst of ${timed.length})`,
        });
      }
    }
    if (x.gaps !== null) each(`at most ${x.gaps} sequence gaps`, (_, m) => [m.sequenceGaps <= x.gaps!, String(m.sequenceGaps)]);
    if (x.drops) {
      const d = x.drops;
      const range = d.max === Infinity ? `at least ${d.min}` : d.min > 0 ? `${d.min} to ${d.max}` : `at most ${d.max}`;
      const counted = (m: MembershipSnapshot) => (d.cause ? m.account.dropped[d.cause as keyof typeof m.account.dropped] ?? 0 : droppedTotal(m.account));
      // Drops are a total over the scope: a slow reader's loss may fall on any of its groups.
      const total = ms.reduce((n, { m }) => n + counted(m), 0);
      out.push({
        where: x.where,
        check: `${scope}: ${range} dropped${d.cause ? ` (${d.cause})` : ''}`,
        passed: ms.length > 0 && total >= d.min && total <= d.max,
        actual: ms.length === 0 ? 'no such membership in the run' : `${total} (${ms.map(({ subscriber, m }) => `${label(subscriber, m)} ${counted(m)}`).join(', ')})`,
      });
    }
    if (x.event) {
      const e = x.event;
      const matches = s.events.filter((ev) => (e.kind === null || ev.kind === e.kind) && (e.cause === null || (isPathEvent(ev) && ev.cause === e.cause)) && (e.group === null || (isPathEvent(ev) && ev.group === e.group)) && (!x.subscriber || (isPathEvent(ev) ? ev.subscribers.some((y) => y.name === x.subscriber) : ev.subscriber === x.subscriber)));
      const what = [e.kind, e.cause, e.group].filter(Boolean).join(' ');
      out.push({ where: x.where, check: `an event ${what}${x.subscriber ? ` involving ${x.subscriber}` : ''}`, passed: matches.length > 0, actual: matches.length > 0 ? `at ${matches.map((m) => `${(m.atMs / 1000).toFixed(3)} s`).join(', ')}` : `none among ${s.events.length} events` });
    }
    if (x.copied !== null) {
      const max = x.copied;
      each(`at most ${max} payload bytes copied on the host per packet`, (_, m) => {
        const packets = deliveredTotal(m.account);
        if (packets === 0) return [false, 'no packets'];
        const per = m.bytesCopied / packets;
        return [per <= max, `${per.toFixed(1)} bytes per packet`];
      });
    }
    if (x.switchesAbove && x.subscriber) {
      const rate = (name: string): number | null => {
        const sub = s.subscribers.find((y) => y.name === name);
        const packets = sub?.memberships.reduce((n, m) => n + deliveredTotal(m.account), 0) ?? 0;
        return sub?.sinceFirstPacket && packets > 0 ? sub.sinceFirstPacket.voluntary / packets : null;
      };
      const mine = rate(x.subscriber);
      const others = x.switchesAbove.map((n) => ({ n, r: rate(n) }));
      const show = (r: number | null) => (r === null ? 'no packets' : `${(r * 1000).toFixed(1)}/1k pkt`);
      out.push({
        where: x.where,
        check: `${x.subscriber}: more voluntary context switches per packet than ${others.map((o) => o.n).join(', ')}`,
        passed: mine !== null && others.every((o) => o.r !== null && mine > o.r),
        actual: [`${x.subscriber} ${show(mine)}`, ...others.map((o) => `${o.n} ${show(o.r)}`)].join(', '),
      });
    }
    if (x.host !== null) {
      const h = s.host;
      const who = x.subscriber ? h.processes.find((p) => p.role === 'subscriber' && p.name === x.subscriber) : null;
      const verdict = who ? who.verdict : h.verdict;
      const reasons = who ? who.reasons : h.reasons;
      out.push({ where: x.where, check: `host ${x.host}${who ? ` for ${x.subscriber}` : ''}`, passed: verdict === x.host, actual: reasons.length > 0 ? `${verdict}: ${reasons.join('; ')}` : verdict });
    }
    if (x.balanced !== null) {
      out.push({ where: x.where, check: `accounts ${x.balanced ? 'balance' : 'do not balance'}`, passed: s.totals.balanced === x.balanced, actual: s.totals.balanced ? 'balanced' : 'not balanced' });
    }
  }
  return out;
}

export function formatVerdicts(v: readonly Verdict[]): string {
  if (v.length === 0) return '';
  const failed = v.filter((x) => !x.passed).length;
  const lines = [`Expectations: ${v.length - failed} passed, ${failed} failed`];
  for (const x of v) lines.push(`  ${x.passed ? 'ok  ' : 'FAIL'} ${x.where}: ${x.check} (${x.actual})`);
  return `${lines.join('\n')}\n`;
}
