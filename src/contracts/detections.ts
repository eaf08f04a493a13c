import { z } from 'zod';
import { BoxSchema } from './box.js';
import { ViolationType } from './violation.js';

/** One object a model found; the box is normalized to the camera picture (0..1 on both axes). */
export const DetectionSchema = z.object({
  classId: z.number().int(),
  label: z.string(),
  score: z.number(),
  box: BoxSchema,
  /** Which violation this class feeds, from the model manifest; undefined for context-only classes. */
  violation: ViolationType.optional(),
});
export type Detection = z.infer<typeof DetectionSchema>;

/** Everything one model found in one frame. */
export interface Detections {
  cameraId: string;
  timestamp: number;
  model: string;
  items: Detection[];
}
