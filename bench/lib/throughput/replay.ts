/**
 * The recorded detections replayed as many cameras (the scoring and control-plane stages): camera c's config,
 * and what its detector "saw" at its s-th analyzed frame. Cameras start at different frames of their fixture.
 */
import { CameraSchema, type CameraConfig } from '../../../src/config/schema.js';
import type { Detections } from '../../../src/contracts/detections.js';
import type { FixtureRecording } from './inputs.js';

export function cameraFor(c: number, intervalSec: number): CameraConfig {
  // The replayed frames carry no pixels: the scene model has its own stage row, measured on real frames.
  return CameraSchema.parse({ id: `c${String(c).padStart(4, '0')}`, url: 'rtsp://bench/x', intervalSec, scene: false });
}

/** The recorded detections of camera c's fixture for its s-th analyzed frame (cameras start at different frames). */
export function detectionsFor(c: number, s: number, recs: FixtureRecording[], cameraId: string, t: number): Detections {
  const rec = recs[c % recs.length]!;
  const d = rec.detections[(s + c * 7) % rec.detections.length]!;
  return { cameraId, timestamp: t, model: d.model, items: d.items };
}
