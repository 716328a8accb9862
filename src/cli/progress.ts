/**
 * Progress on stderr. On a terminal: one line redrawn in place, with a bar. Elsewhere (a pipe, CI):
 * a plain line every few seconds, with the time taken, so that a long headless run (a sweep in CI)
 * shows it is alive. `quiet` silences both.
 */
const PLAIN_EVERY_MS = 5000;

export class Progress {
  private readonly tty: boolean;
  private readonly quiet: boolean;
  private last = 0;
  private readonly started = Date.now();

  constructor(private readonly label: string, quiet = false) {
    this.quiet = quiet;
    this.tty = process.stderr.isTTY === true && !process.env.CI;
  }

  /** `fraction` in 0..1 draws a bar (on a terminal) or a percentage; the text says where the run is. */
  update(text: string, fraction?: number): void {
    if (this.quiet) return;
    const now = Date.now();
    if (!this.tty) {
      if (now - this.started < PLAIN_EVERY_MS || now - this.last < PLAIN_EVERY_MS) return;
      this.last = now;
      const pct = fraction === undefined ? '' : ` ${(fraction * 100).toFixed(0)}%`;
      process.stderr.write(`mdlab: ${this.label}: ${((now - this.started) / 1000).toFixed(0)} s elapsed${pct} · ${text}\n`);
      return;
    }
    if (now - this.last < 100) return;
    this.last = now;
    let bar = '';
    if (fraction !== undefined) {
      const width = 30;
      const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
      bar = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
    }
    process.stderr.write(`\r\x1b[2K${this.label} ${bar}${text}`);
  }

  done(): void {
    if (!this.quiet && this.tty && this.last > 0) process.stderr.write('\r\x1b[2K');
  }
}
