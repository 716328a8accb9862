/**
 * `--out` writes report.html, one self-contained file with the plots as inline SVG (Vega-Lite,
 * rendered headless by Vega). Debian's headless Chromium opens it: no console errors, every plot
 * has drawn marks, and a screenshot is taken.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mdlab } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const CHROMIUM = ['chromium', 'chromium-browser'].find((c) => spawnSync(c, ['--version']).status === 0) ?? null;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--enable-logging=stderr', '--v=0'];

describe('report.html', () => {
  const out = tmp.file('report');
  const run = () => {
    if (!existsSync(join(out, 'report.html'))) {
      const r = mdlab(['run', 'configs/ef-name-trap.yaml', '--headless', '--quiet', '--duration', '1500ms', '--out', out], {}, 90_000);
      expect(r.code, r.stderr).toBe(0);
    }
    return readFileSync(join(out, 'report.html'), 'utf8');
  };

  it('is one self-contained file: header, host verdict, path matrix, events with fixes, accounting, overheads, and a plot per subscriber plus two over time', () => {
    const html = run();
    expect(html).toMatch(/<h1>mdlab result: ef-name-trap<\/h1>/);
    expect(html).toMatch(/Host: HOST (CLEAN|CONTENDED)/);
    expect(html).toMatch(/<h2>Paths<\/h2><table>/);
    expect(html).toMatch(/mcast-conflict\)<\/b>.*fix: EF_NAME=feed on book1 and book2/s);
    expect(html).toMatch(/<h2>Accounting \(packets\)<\/h2><table>/);
    expect(html).toMatch(/<h2>Overheads<\/h2><table>/);
    expect(html.match(/<figure id="/g)).toHaveLength(4); // book1, book2, latency over time, the feed
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // nothing to fetch, nothing to run
    // report.md embeds the same plots, written beside it.
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    for (const f of ['percentiles-book1.svg', 'percentiles-book2.svg', 'latency-over-time.svg', 'feed-rate.svg']) {
      expect(md).toContain(`](${f})`);
      expect(statSync(join(out, f)).size).toBeGreaterThan(1000);
    }
  });

  it.skipIf(!CHROMIUM)(`renders in headless Chromium with no console errors, every plot drawn, and a screenshot${CHROMIUM ? '' : ' [skipped: chromium is not installed; .ci/run installs it]'}`, () => {
    run();
    const page = `file://${join(out, 'report.html')}`;
    const dom = spawnSync(CHROMIUM!, [...FLAGS, '--dump-dom', page], { encoding: 'utf8', timeout: 60_000 });
    expect(dom.status, dom.stderr).toBe(0);
    expect(dom.stderr).not.toMatch(/CONSOLE|Uncaught|SyntaxError/);
    const figures = dom.stdout.split('<figure id="').slice(1);
    expect(figures).toHaveLength(4);
    for (const f of figures) expect(f, f.slice(0, 60)).toMatch(/class="mark-(line|symbol|area|rule)[^"]*"[^>]*>\s*<path[^>]* d="M/);
    const shot = join(out, 'screenshot.png');
    const s = spawnSync(CHROMIUM!, [...FLAGS, '--window-size=1200,2600', `--screenshot=${shot}`, page], { encoding: 'utf8', timeout: 60_000 });
    expect(s.status, s.stderr).toBe(0);
    const png = readFileSync(shot);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(20_000);
  });
});
