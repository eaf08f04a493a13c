import { z } from 'zod';

/**
 * The one axis-aligned box: [x1, y1, x2, y2] with x1 <= x2, y1 <= y2, in whatever unit the stage works in
 * (model-input pixels inside the detector, normalized 0..1 to the camera picture everywhere after it).
 */
export type Box = [x1: number, y1: number, x2: number, y2: number];

export const BoxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);
