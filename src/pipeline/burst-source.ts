import type { CameraConfig } from '../config/schema.js';
import type { Frame } from '../contracts/frame.js';
import { decodeBurst } from '../decode/burst.js';
import type { BurstSource } from '../detect/burning-check.js';
import type { ClipSpanSource } from '../contracts/clip-span.js';
import { readRing } from '../evidence/clip-ring.js';
import { spanToMpegTs } from '../evidence/span-clip.js';
import { cameraInput } from '../ingest/camera-input.js';

/** Burst frames are small: the check looks at one region's colour and change, not detail. */
const BURST_WIDTH = 208;
const BURST_FPS = 12;

function burstSize(frame: Frame): { width: number; height: number } {
  const even = (v: number) => Math.max(2, Math.round(v / 2) * 2);
  return frame.sourceWidth >= frame.sourceHeight
    ? { width: BURST_WIDTH, height: even((BURST_WIDTH * frame.sourceHeight) / frame.sourceWidth) }
    : { width: even((BURST_WIDTH * frame.sourceWidth) / frame.sourceHeight), height: BURST_WIDTH };
}

/** How long a native camera's burst waits for the unit after the frame (a stalled stream gives what it has). */
const SPAN_WAIT_MS = 2_000;

/**
 * Where a camera's burning check gets consecutive frames: a file analyzed in one pass seeks to the frame's own
 * time; a live camera decodes the newest completed segment of its clip ring (the compressed video it keeps
 * anyway); a native camera, the second up to the frame from its packet ring (`spans`). A live camera without
 * either has no burst: its candidates under the threshold are not promoted.
 */
export function burstSourceFor(camera: Pick<CameraConfig, 'url'>, mode: 'live' | 'once', ffmpegPath: string, ringDir: string | undefined, spans?: ClipSpanSource): BurstSource {
  const input = cameraInput(camera.url, process.cwd());
  if (mode === 'once' && input.kind === 'file') {
    return (frame, durationSec) => decodeBurst({ ffmpegPath, input: { kind: 'file', path: input.path, atSec: frame.ptsMs / 1000 }, durationSec, fps: BURST_FPS, ...burstSize(frame) });
  }
  if (spans) {
    return async (frame, durationSec) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((r) => (timer = setTimeout(r, SPAN_WAIT_MS)));
      const span = await spans.span(frame.timestamp - durationSec * 1000, frame.timestamp, late).finally(() => clearTimeout(timer));
      if (!span) return undefined;
      return decodeBurst({ ffmpegPath, input: { kind: 'mpegts', data: spanToMpegTs(span) }, durationSec, fps: BURST_FPS, ...burstSize(frame) });
    };
  }
  if (ringDir === undefined) return async () => undefined;
  return async (frame, durationSec) => {
    const segments = await readRing(ringDir);
    const newest = segments.reduce<(typeof segments)[number] | undefined>((a, s) => (!a || s.endMs > a.endMs ? s : a), undefined);
    if (!newest) return undefined;
    return decodeBurst({ ffmpegPath, input: { kind: 'segments', paths: [newest.path] }, durationSec, fps: BURST_FPS, ...burstSize(frame) });
  };
}
