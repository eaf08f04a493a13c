/**
 * One decoded, sampled frame, already scaled and letterboxed by ffmpeg to the detector's input size.
 * The picture occupies the top-left `contentWidth × contentHeight` pixels; the rest is padding (grey 114),
 * which is how YOLOX letterboxes, so no second resize happens in Node.
 */
export interface Frame {
  cameraId: string;
  /** Milliseconds since the Unix epoch: wall clock for live sources, file start + PTS for `analyze`. */
  timestamp: number;
  /** Presentation time in the stream, milliseconds. */
  ptsMs: number;
  /** Packed HWC, 3 bytes per pixel, in `pixelFormat` order. */
  data: Buffer;
  pixelFormat: 'rgb24' | 'bgr24';
  width: number;
  height: number;
  /** Size of the real picture inside `data` (the rest is letterbox padding). */
  contentWidth: number;
  contentHeight: number;
  /** Size of the camera's native picture. */
  sourceWidth: number;
  sourceHeight: number;
}
