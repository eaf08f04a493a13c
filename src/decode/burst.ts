import { spawn } from 'node:child_process';

/** Where a burst comes from: a seekable file, recent compressed segments of a live camera (its clip ring), or a
 * native camera's recent access units as MPEG-TS bytes (its packet ring); of the last two, the last `durationSec`
 * of frames are kept. */
export type BurstInput =
  | { kind: 'file'; path: string; atSec: number }
  | { kind: 'segments'; paths: readonly string[] }
  | { kind: 'mpegts'; data: Buffer };

export interface BurstRequest {
  ffmpegPath: string;
  input: BurstInput;
  /** Seconds of consecutive frames to decode (files: from atSec; segments: the last ones). */
  durationSec: number;
  /** Frames per second to keep (the stream's own rate when lower). */
  fps: number;
  /** Output picture size (the source aspect, small: the check looks at one region). */
  width: number;
  height: number;
  timeoutMs?: number;
}

export interface Burst {
  /** Packed RGB frames, width × height × 3 bytes each, consecutive in time. */
  frames: Buffer[];
  width: number;
  height: number;
  fps: number;
}

/**
 * Decodes a short run of consecutive frames — what a second-stage check needs to see a flame flicker or smoke
 * drift, which one keyframe every few seconds cannot show. Runs only when a candidate asks for it, so the steady
 * state keeps decoding keyframes only.
 */
export function decodeBurst(r: BurstRequest): Promise<Burst> {
  const input =
    r.input.kind === 'file'
      ? ['-ss', String(Math.max(0, r.input.atSec)), '-i', r.input.path, '-t', String(r.durationSec)]
      : r.input.kind === 'segments'
        ? ['-i', `concat:${r.input.paths.join('|')}`]
        : ['-f', 'mpegts', '-i', 'pipe:0'];
  const args = ['-hide_banner', '-nostdin', '-v', 'error', ...input, '-map', '0:v:0', '-an', '-vf', `fps=${r.fps},scale=${r.width}:${r.height}:flags=area`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', '-'];
  return new Promise((resolve, reject) => {
    const child = spawn(r.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {}); // an ffmpeg that exits early says why on stderr
    child.stdin.end(r.input.kind === 'mpegts' ? r.input.data : undefined);
    const chunks: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), r.timeoutMs ?? 10_000);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const size = r.width * r.height * 3;
      const n = Math.floor(all.length / size);
      if (n === 0) {
        reject(new Error(`burst decode gave no frame (ffmpeg ${signal ?? `exit ${code}`}): ${err.trim().split('\n').pop() ?? ''}`));
        return;
      }
      const keep = r.input.kind !== 'file' ? Math.max(1, Math.round(r.durationSec * r.fps)) : n;
      const frames: Buffer[] = [];
      for (let i = Math.max(0, n - keep); i < n; i++) frames.push(all.subarray(i * size, (i + 1) * size));
      resolve({ frames, width: r.width, height: r.height, fps: r.fps });
    });
  });
}
