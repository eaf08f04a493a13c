import type { Detection } from '../../../src/contracts/detections.js';
import type { Detector } from '../../../src/detect/detector.js';
import { frameFromImage } from '../../../src/detect/image-frame.js';
import type { Frame } from '../../../src/contracts/frame.js';

/** Letterbox an image for this detector, in the byte order its model wants (no swap needed). */
export function imageFrame(det: Detector, file: string, index = 0): Promise<Frame> {
  const input = det.manifest.input;
  return frameFromImage(file, {
    width: input.width,
    height: input.height,
    padValue: input.padValue,
    pixelFormat: input.channelOrder === 'BGR' ? 'bgr24' : 'rgb24',
    cameraId: 'bench',
    timestamp: index,
  });
}

/**
 * Run a detector over image files, in batches of its maxBatch, through the production detect() path.
 * The next batch is decoded while the current one is inferred. Returns detections per image, in order.
 */
export async function detectImages(det: Detector, files: readonly string[], onBatch?: (n: number) => void): Promise<Detection[][]> {
  const out: Detection[][] = [];
  const step = Math.max(1, det.maxBatch);
  const load = (start: number) => {
    const p = Promise.all(files.slice(start, start + step).map((f, k) => imageFrame(det, f, start + k)));
    p.catch(() => undefined); // awaited later; keep a decode error from surfacing as an unhandled rejection meanwhile
    return p;
  };
  let next = files.length > 0 ? load(0) : undefined;
  for (let start = 0; start < files.length; start += step) {
    const frames = await next!;
    next = start + step < files.length ? load(start + step) : undefined;
    const res = await det.detect(frames);
    for (const r of res) out.push(r.items);
    onBatch?.(frames.length);
  }
  return out;
}
