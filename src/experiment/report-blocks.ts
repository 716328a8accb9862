/**
 * A report as plain data: paragraphs, sections, tables and event lists, drawn as console text
 * (the headless report, `report` in a terminal) or as Markdown (report.md, real tables). One
 * builder, two renderers: what the text says, the Markdown says.
 */
import { fmtInt, table } from './text-table.js';
import { formatEvent, formatMs } from './report-events.js';
import { isPathEvent, type LabEvent } from './snapshot.js';

export type Block =
  | { kind: 'para'; lines: string[] }
  | { kind: 'section'; title: string; body: Block[] }
  /** `mdHead`: Markdown's own header where the text's needs another (null drops the column, such as a `|` separator). */
  | { kind: 'table'; head: string[]; rows: (string | number)[][]; mdHead?: (string | null)[] }
  | { kind: 'events'; events: LabEvent[]; none: string }
  | { kind: 'list'; items: string[] };

function textBlock(b: Block): string {
  switch (b.kind) {
    case 'para':
      return b.lines.join('\n');
    case 'section':
      return [b.title, ...b.body.map(textBlock)].join('\n');
    case 'table':
      return table(b.rows, b.head);
    case 'events':
      return b.events.length === 0 ? `  ${b.none}` : b.events.flatMap(formatEvent).join('\n');
    case 'list':
      return b.items.map((i) => `  - ${i}`).join('\n');
  }
}

/** Console text: blocks one blank line apart. */
export function renderText(blocks: readonly Block[]): string {
  return `${blocks.map(textBlock).join('\n\n')}\n`;
}

const mdCell = (c: string | number) => (typeof c === 'number' ? fmtInt(c) : c).replace(/\\/g, '\\\\').replace(/\|/g, '\\|') || ' ';
const mdText = (t: string) => t.replace(/([\\`*_[\]<>|])/g, '\\$1');

function mdTable(head: string[], rows: (string | number)[][]): string {
  const numeric = (c: string | number) => typeof c === 'number' || /^[-+]?[\d,.]+$|^-$/.test(c);
  const right = head.map((_, i) => i > 0 && rows.length > 0 && rows.every((r) => numeric(r[i] ?? '')));
  return [`| ${head.map(mdCell).join(' | ')} |`, `| ${right.map((r) => (r ? '---:' : '---')).join(' | ')} |`, ...rows.map((r) => `| ${head.map((_, i) => mdCell(r[i] ?? '')).join(' | ')} |`)].join('\n');
}

function mdEvent(e: LabEvent): string {
  if (!isPathEvent(e)) return `- \`${formatMs(e.atMs)}\` ${mdText(e.kind)}: ${mdText(e.message)}`;
  return `- \`${formatMs(e.atMs)}\` **${mdText(e.group)} ${mdText(e.from)} → ${mdText(e.path)}**${e.cause ? ` (${mdText(e.cause)})` : ''}: ${mdText(e.message)}${e.fix ? `<br>fix: ${mdText(e.fix)}` : ''}`;
}

function mdBlock(b: Block, depth: number): string {
  switch (b.kind) {
    case 'para':
      // An indented "- item" line is a list item; other lines keep their breaks.
      return b.lines.map((l) => (/^\s+- /.test(l) ? `- ${mdText(l.replace(/^\s+- /, ''))}` : `${mdText(l.trim())}  `)).join('\n');
    case 'section':
      return [`${'#'.repeat(depth)} ${mdText(b.title)}`, ...b.body.map((x) => mdBlock(x, depth + 1))].join('\n\n');
    case 'table': {
      if (!b.mdHead) return mdTable(b.head, b.rows);
      const keep = b.mdHead.map((h, i) => (h === null ? -1 : i)).filter((i) => i >= 0);
      return mdTable(keep.map((i) => b.mdHead![i]!), b.rows.map((r) => keep.map((i) => r[i] ?? '')));
    }
    case 'events':
      return b.events.length === 0 ? mdText(b.none) : b.events.map(mdEvent).join('\n');
    case 'list':
      return b.items.map((i) => `- ${mdText(i)}`).join('\n');
  }
}

/** Markdown: sections as headings from `depth`, tables as Markdown tables. */
export function renderMarkdown(blocks: readonly Block[], depth = 2): string {
  return `${blocks.map((b) => mdBlock(b, depth)).join('\n\n')}\n`;
}
