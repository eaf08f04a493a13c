import type { ViolationType } from '../violation.js';

/** Axis-aligned box in coordinates normalized to the camera picture: 0..1 on both axes. */
export type Box = readonly [x1: number, y1: number, x2: number, y2: number];

export interface Detection {
  classId: number;
  label: string;
  score: number;
  box: Box;
  /** Which violation this class feeds, from the model manifest; undefined for context-only classes. */
  violation?: ViolationType;
}

/** Everything one model found in one frame. */
export interface Detections {
  cameraId: string;
  timestamp: number;
  model: string;
  items: Detection[];
}
