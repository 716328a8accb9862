/** A one-line progress display on stderr, only when stderr is a terminal (quiet in pipes and CI). */
export class Progress {
  private readonly enabled: boolean;
  private last = 0;

  constructor(private readonly label: string, quiet = false) {
    this.enabled = !quiet && process.stderr.isTTY === true && !process.env.CI;
  }

  /** `fraction` in 0..1 draws a bar; otherwise only the text. Redraws at most 10 times a second. */
  update(text: string, fraction?: number): void {
    if (!this.enabled) return;
    const now = Date.now();
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
    if (this.enabled && this.last > 0) process.stderr.write('\r\x1b[2K');
  }
}
