/** A progress bar on stderr: redrawn in place on a TTY, a line every 10% otherwise (CI logs). */
export class Progress {
  private done = 0;
  private lastDecile = -1;
  private readonly start = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  tick(n = 1): void {
    this.done += n;
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const secs = (Date.now() - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const eta = rate > 0 ? Math.round((this.total - this.done) / rate) : 0;
    const text = `${this.label} ${this.done}/${this.total} ${rate.toFixed(1)}/s eta ${eta}s`;
    if (this.stream.isTTY) {
      const width = 30;
      const filled = Math.round(frac * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}   `);
      if (this.done >= this.total) this.stream.write('\n');
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        this.stream.write(`${text}\n`);
      }
    }
  }
}
