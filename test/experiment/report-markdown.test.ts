/**
 * report.md is Markdown, not console text in a fence: every section a heading, every table a
 * GFM table (header, alignment row, the same number of cells in each row), the same figures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabSnapshot } from '../../src/experiment/snapshot.js';
import { reportMarkdown } from '../../src/experiment/results.js';
import { formatReport } from '../../src/experiment/report.js';
import { ROOT } from '../helpers/shared.js';

const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'default-snapshot.json'), 'utf8')) as LabSnapshot;

/** Cells of a GFM table row, with escaped pipes kept inside their cell. */
const cells = (row: string) => row.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());

describe('report.md', () => {
  const md = reportMarkdown(fixture, [{ where: 'expect[0]', check: 'accounts balance', passed: true, actual: 'balanced' }], { complete: true, host: {}, startedAtMs: 0 });

  it('has headings and real tables, no code fence', () => {
    expect(md).not.toMatch(/^```/m);
    expect(md).toMatch(/^# mdlab result: default$/m);
    for (const h of ['Events', 'Paths and accounting (packets)', 'Latency, wire to application', 'Subscribers', 'Overheads by receive mode', 'Expectations: 1 passed, 0 failed']) expect(md).toMatch(new RegExp(`^## ${h.replace(/[()]/g, '\\$&')}`, 'm'));
    const lines = md.split('\n');
    const tables: string[][] = [];
    let cur: string[] | null = null;
    for (const l of lines) {
      if (l.startsWith('|')) (cur ??= []).push(l);
      else if (cur) {
        tables.push(cur);
        cur = null;
      }
    }
    expect(tables.length).toBeGreaterThanOrEqual(5);
    for (const t of tables) {
      const n = cells(t[0]).length;
      expect(cells(t[1]).every((c) => /^-{3}:?$/.test(c)), t[1]).toBe(true);
      for (const r of t) expect(cells(r), r).toHaveLength(n);
    }
  });

  it('says what the text report says: every membership row with its sent and path, and the totals', () => {
    const text = formatReport(fixture);
    for (const sub of fixture.subscribers) {
      for (const m of sub.memberships) {
        expect(md).toContain(`| ${sub.name} | ${m.group} | ${m.path} |`);
        expect(md).toContain(`| ${m.account.sent.toLocaleString('en-US')} |`);
      }
    }
    const totals = text.split('\n').find((l) => l.startsWith('Totals:'))!;
    expect(md).toContain(totals);
    // The latency table names both clocks in its header instead of a separator column.
    expect(md).toMatch(/\| count \| p50 sched \| .* \| max sched \| p50 send \|/);
  });
});
