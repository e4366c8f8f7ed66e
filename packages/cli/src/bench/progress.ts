/** A progress line with ETA on stderr: redrawn in place on a terminal, one line per step otherwise (CI logs). */
export class Progress {
  private done = 0;
  private readonly started = performance.now();

  constructor(
    private readonly total: number,
    private readonly write: (text: string) => void,
    private readonly tty = process.stderr.isTTY,
  ) {}

  /** Marks one step finished with a label of what it was. */
  step(label: string): void {
    this.done++;
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = this.done === 0 ? 0 : (elapsed / this.done) * (this.total - this.done);
    const width = 20;
    const filled = Math.round((this.done / this.total) * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const line = `${bar} ${this.done}/${this.total} ${Math.round((this.done / this.total) * 100)}% elapsed ${clock(elapsed)} ETA ${clock(eta)}  ${label}`;
    this.write(this.tty ? `\r\x1b[2K${line}${this.done === this.total ? '\n' : ''}` : `${line}\n`);
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
