import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyframeProbe {
  /** Presentation times of the video stream's keyframes, seconds. */
  keyframesSec: number[];
  /** Longest stretch without a keyframe (including the tail to the last packet), seconds. */
  maxGapSec: number;
  /** Time of the last packet, seconds (about the stream's duration less one frame). */
  lastSec: number;
}

/**
 * Keyframe times of a file's first video stream from its packets (stream copy, nothing decoded): ffmpeg's
 * framecrc muxer prints one line per packet and adds `F=0x…` only where the flags are not just "key". Uses ffmpeg
 * rather than ffprobe because the npm fallback binary ships without ffprobe.
 */
export async function probeKeyframes(ffmpegPath: string, file: string): Promise<KeyframeProbe> {
  const { stdout } = await run(ffmpegPath, ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-map', '0:v:0', '-c', 'copy', '-f', 'framecrc', '-'], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return parseFramecrc(stdout);
}

/** Pure part of probeKeyframes, for tests. */
export function parseFramecrc(text: string): KeyframeProbe {
  let tb = 0;
  const keyframesSec: number[] = [];
  let lastSec = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#tb 0:')) {
      const [num, den] = line.slice(6).trim().split('/').map(Number);
      tb = num! / den!;
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const cols = line.split(',').map((c) => c.trim());
    if (cols[0] !== '0' || cols.length < 6) continue;
    const sec = Number(cols[2]) * tb;
    if (!Number.isFinite(sec)) continue;
    lastSec = Math.max(lastSec, sec);
    if (!cols.slice(6).some((c) => c.startsWith('F='))) keyframesSec.push(sec);
  }
  keyframesSec.sort((a, b) => a - b);
  let maxGapSec = 0;
  for (let i = 1; i < keyframesSec.length; i++) maxGapSec = Math.max(maxGapSec, keyframesSec[i]! - keyframesSec[i - 1]!);
  if (keyframesSec.length > 0) maxGapSec = Math.max(maxGapSec, lastSec - keyframesSec[keyframesSec.length - 1]!);
  return { keyframesSec, maxGapSec, lastSec };
}
