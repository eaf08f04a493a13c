/**
 * Progress of a multi-stage benchmark on stderr: which stage, how far (%), elapsed time of the stage and of
 * the run. On a TTY one line is redrawn in place; otherwise (CI logs) a line is written at every 10% of a
 * stage and at least every 15 s, so the log shows it is alive without flooding.
 */
export class StageProgress {
  private readonly runStart = Date.now();
  private stageName = '';
  private stageStart = Date.now();
  private lastDecile = -1;
  private lastLineAt = 0;
  private index = 0;

  constructor(
    private readonly totalStages: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Starts a stage (ends the previous one's line). */
  stage(name: string): void {
    if (this.stageName && this.stream.isTTY) this.stream.write('\n');
    this.index++;
    this.stageName = name;
    this.stageStart = Date.now();
    this.lastDecile = -1;
    this.lastLineAt = 0;
    this.update(0);
  }

  /** fraction 0..1 of the current stage; detail: a short status (e.g. "K=16, 12/16 cameras live"). */
  update(fraction: number, detail = ''): void {
    const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
    const now = Date.now();
    const text = formatProgress({
      index: this.index,
      total: this.totalStages,
      stage: this.stageName,
      fraction: f,
      stageSec: (now - this.stageStart) / 1000,
      runSec: (now - this.runStart) / 1000,
      detail,
    });
    if (this.stream.isTTY) {
      const cols = this.stream.columns ?? 120;
      this.stream.write(`\r${text.slice(0, cols - 1).padEnd(cols - 1)}`);
      return;
    }
    const decile = Math.floor(f * 10);
    if (decile !== this.lastDecile || now - this.lastLineAt >= 15_000) {
      this.lastDecile = decile;
      this.lastLineAt = now;
      this.stream.write(`${text}\n`);
    }
  }

  /** A message of its own line (a finding, a warning) without losing the progress line. */
  note(message: string): void {
    if (this.stream.isTTY) this.stream.write(`\r${' '.repeat(Math.max(0, (this.stream.columns ?? 120) - 1))}\r`);
    this.stream.write(`${message}\n`);
  }

  done(): void {
    if (this.stream.isTTY && this.stageName) this.stream.write('\n');
    this.stageName = '';
  }
}

export interface ProgressLine {
  index: number;
  total: number;
  stage: string;
  fraction: number;
  stageSec: number;
  runSec: number;
  detail: string;
}

/** `[3/7] inference  42%  12s (run 1m05s)  batch 8, 2 threads`. Pure. */
export function formatProgress(p: ProgressLine): string {
  const pct = `${Math.round(p.fraction * 100)}%`.padStart(4);
  const bar = `${'#'.repeat(Math.round(p.fraction * 20))}${'.'.repeat(20 - Math.round(p.fraction * 20))}`;
  return `[${p.index}/${p.total}] ${p.stage} [${bar}] ${pct} ${formatSec(p.stageSec)} (run ${formatSec(p.runSec)})${p.detail ? `  ${p.detail}` : ''}`;
}

export function formatSec(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
