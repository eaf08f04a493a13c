import type { NormalHereNotice } from '../contracts/scene-feedback.js';
import type { Pipeline } from './pipeline.js';

/**
 * A view that moved (camera health: shifted) is a new baseline for the scene model, not a scene full of new
 * objects. Returns the per-frame check: it re-references once when the alert rises, not on every frame it stays.
 */
export function rereferenceOnShift(isShifted: (cameraId: string) => boolean, rereference: (cameraId: string) => void): (cameraId: string) => void {
  const shifted = new Set<string>();
  return (cameraId) => {
    const moved = isShifted(cameraId);
    if (moved && !shifted.has(cameraId)) rereference(cameraId);
    if (moved) shifted.add(cameraId);
    else shifted.delete(cameraId);
  };
}

/** A reviewer's "normal here" on this process's pipeline: each box goes to the camera's scene model; true if any took. */
export function applyNormalHere(pipeline: Pick<Pipeline, 'acceptAsNormal'> | undefined, notice: Pick<NormalHereNotice, 'cameraId' | 'boxes'>): boolean {
  let any = false;
  for (const b of notice.boxes) any = (pipeline?.acceptAsNormal(notice.cameraId, b) ?? false) || any;
  return any;
}
