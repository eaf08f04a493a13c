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

/** The pipeline's "normal here": applies each box to the camera's scene model; true if any took. */
export function applyNormalHere(accept: (cameraId: string, box: [number, number, number, number]) => boolean, cameraId: string, boxes: readonly [number, number, number, number][]): boolean {
  let any = false;
  for (const b of boxes) any = accept(cameraId, b) || any;
  return any;
}
