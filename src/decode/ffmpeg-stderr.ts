/**
 * Reads one ffmpeg process's stderr: the input's video size (so no ffprobe process is needed), the
 * `showinfo` line of every kept frame (its number and timestamp), and the last message worth reporting
 * when the process dies. Stateful per process; feed it chunks as they come.
 */
export type StderrEvent =
  | { kind: 'input-video'; width: number; height: number }
  | { kind: 'creation-time'; epochMs: number }
  /** A kept frame: its index among kept frames, pts, and decoded (pre-scale) size when printed. */
  | { kind: 'frame'; n: number; ptsMs: number; width?: number; height?: number };

const SHOWINFO_FRAME = /^\[Parsed_showinfo_\d+ @ [^\]]*\]\s+n:\s*(\d+)\s+pts:\s*\S+\s+pts_time:(\S+)/;
const SHOWINFO_SIZE = / s:(\d+)x(\d+) /;
const STREAM_VIDEO = /^\s*Stream #\d+:\d+.*?: Video: .*?[ ,](\d{1,5})x(\d{1,5})(?=[\s,[]|$)/;
const CREATION_TIME = /^\s*creation_time\s*:\s*(\S+)/;
/** Lines that are never the reason a process died. */
const NOISE = /^(\[Parsed_showinfo|\s|Input #|Output #|Stream mapping|Press \[q\]|frame=|video:|\[info\])/;
const MAX_LINE = 16_384;

export class FfmpegStderr {
  private partial = '';
  private section: 'none' | 'input' | 'output' = 'none';
  private sawInputVideo = false;
  /** Last error-looking line, else the last non-noise line. */
  private lastError: string | undefined;
  private lastLine: string | undefined;

  /** Parses a chunk; returns what it found, in order. */
  push(chunk: string): StderrEvent[] {
    const text = this.partial + chunk;
    const lines = text.split(/\r?\n|\r/);
    this.partial = lines.pop() ?? '';
    if (this.partial.length > MAX_LINE) this.partial = this.partial.slice(-MAX_LINE);
    const events: StderrEvent[] = [];
    for (const line of lines) this.line(line, events);
    return events;
  }

  /** Flushes an unterminated last line (at process exit). */
  end(): StderrEvent[] {
    const events: StderrEvent[] = [];
    if (this.partial) this.line(this.partial, events);
    this.partial = '';
    return events;
  }

  /** The most useful line to report when the process ended without being asked to. */
  get lastMessage(): string | undefined {
    return this.lastError ?? this.lastLine;
  }

  private line(line: string, events: StderrEvent[]): void {
    const frame = SHOWINFO_FRAME.exec(line);
    if (frame) {
      const ptsSec = Number(frame[2]);
      const size = SHOWINFO_SIZE.exec(line);
      events.push({
        kind: 'frame',
        n: Number(frame[1]),
        // Rounded to the µs: pts_time × 1000 in floating point gives 1955.3100000000002.
        ptsMs: Number.isFinite(ptsSec) ? Math.round(ptsSec * 1e6) / 1e3 : Number.NaN,
        ...(size ? { width: Number(size[1]), height: Number(size[2]) } : {}),
      });
      return;
    }
    if (line.startsWith('Input #')) this.section = 'input';
    else if (line.startsWith('Output #') || line.startsWith('Stream mapping')) this.section = 'output';
    if (this.section === 'input') {
      const video = this.sawInputVideo ? null : STREAM_VIDEO.exec(line);
      if (video) {
        this.sawInputVideo = true;
        events.push({ kind: 'input-video', width: Number(video[1]), height: Number(video[2]) });
      }
      const created = CREATION_TIME.exec(line);
      if (created) {
        const epochMs = Date.parse(created[1] ?? '');
        if (Number.isFinite(epochMs)) events.push({ kind: 'creation-time', epochMs });
      }
    }
    if (NOISE.test(line)) return;
    // "[rtsp @ 0x55d1c0a8] msg" → "rtsp: msg": the pointer means nothing to an operator.
    const trimmed = line.trim().replace(/^\[([\w-]+) @ 0x[0-9a-f]+\]\s*/i, '$1: ');
    if (!trimmed) return;
    this.lastLine = trimmed;
    if (/error|fail|refused|unauthorized|forbidden|not found|timed out|invalid|no such|denied|unreachable|reset|broken pipe/i.test(trimmed)) {
      this.lastError = trimmed;
    }
  }
}

export interface ExitDiagnosis {
  /** Retrying soon will not help (wrong credentials, wrong path, missing file): retry at the maximum backoff. */
  permanent: boolean;
  /** One line for ops: what happened and, where known, what to check. Not yet redacted. */
  reason: string;
}

/** Turns ffmpeg's last words into a reason an operator can act on. */
export function diagnoseExit(lastMessage: string | undefined, kind: 'rtsp' | 'file'): ExitDiagnosis {
  const m = lastMessage ?? '';
  // Whole numbers: a port or a byte count holding 401/403 ("127.0.0.1:44013") is not an HTTP status.
  if (/\b401\b|unauthorized/i.test(m)) return { permanent: true, reason: `authentication failed (401): check the camera user and password — ${m}` };
  if (/\b403\b|forbidden/i.test(m)) return { permanent: true, reason: `access forbidden (403): the account may not view this stream — ${m}` };
  if (/\b404\b/.test(m) || (kind === 'rtsp' && /not found/i.test(m) && !/option/i.test(m))) return { permanent: true, reason: `stream not found (404): check the path in the camera URL — ${m}` };
  if (/no such file or directory/i.test(m)) return { permanent: true, reason: `file not found — ${m}` };
  if (kind === 'file' && /invalid data found|could not find codec|unknown format/i.test(m)) {
    return { permanent: true, reason: `not a readable video file — ${m}` };
  }
  // What ffmpeg says when an RTSP server accepts the connection but answers nothing (within -timeout) or garbage.
  if (kind === 'rtsp' && /invalid data found/i.test(m)) {
    return { permanent: false, reason: `no valid RTSP answer: the server stalled past the socket timeout, or it is not an RTSP server — ${m}` };
  }
  if (/connection refused/i.test(m)) return { permanent: false, reason: `connection refused: camera or server down, or wrong port — ${m}` };
  if (/timed out|timeout/i.test(m)) return { permanent: false, reason: `timed out: camera unreachable or stream stalled — ${m}` };
  if (/unreachable|no route/i.test(m)) return { permanent: false, reason: `host unreachable — ${m}` };
  return { permanent: false, reason: m || 'ffmpeg exited without a message' };
}
