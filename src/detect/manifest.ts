import { z } from 'zod';
import { ViolationType } from '../contracts/violation.js';

/**
 * The manifest that sits beside every model (`models/NAME.json`). It says how to feed the network and
 * how to read its output, so the runtime needs no per-model code.
 */
export const ModelManifestSchema = z
  .object({
    name: z.string().min(1).describe('Short model name, shown in events and logs'),
    version: z.string().default('0'),
    /** Path of the .onnx file, relative to the manifest's folder (may point outside, e.g. ../../shared/...). */
    file: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('Checked at load when present'),
    input: z.object({
      name: z.string(),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      layout: z.literal('NCHW'),
      channelOrder: z.enum(['RGB', 'BGR']),
      /** pixel' = (pixel * scale - mean[c]) / std[c] */
      scale: z.number().default(1),
      mean: z.tuple([z.number(), z.number(), z.number()]).default([0, 0, 0]),
      std: z.tuple([z.number(), z.number(), z.number()]).default([1, 1, 1]),
      padValue: z.number().default(114),
      /** Batch dimension: a number if fixed, 'dynamic' if the export allows any batch. */
      batch: z.union([z.number().int().positive(), z.literal('dynamic')]).default(1),
    }),
    output: z.object({
      name: z.string(),
      format: z.enum(['yolox', 'ultralytics', 'yolov5']).describe(
        'yolox: [N,A,5+C] raw grid, strides; ultralytics: [N,4+C,A] decoded cxcywh; yolov5: [N,A,5+C] decoded cxcywh+obj',
      ),
      strides: z.array(z.number().int().positive()).default([8, 16, 32]),
      /** True when objectness/class outputs are already probabilities (sigmoid applied in-graph). */
      sigmoid: z.boolean().default(true),
    }),
    classes: z
      .array(
        z.object({
          name: z.string(),
          violation: ViolationType.optional().describe('Which violation detections of this class feed'),
          /** Default score threshold for this class (scorer rules may override). */
          threshold: z.number().min(0).max(1).default(0.35),
        }),
      )
      .min(1),
    nmsIou: z.number().min(0).max(1).default(0.45),
    exclusiveClasses: z
      .array(z.array(z.string()).min(2))
      .default([])
      .describe(
        'Groups of class names that label the same object in alternative ways (e.g. [["garbage_bin","overflow"]]): ' +
          'NMS runs across each group, so one object keeps only its best label',
      ),
    cropCheck: z
      .object({
        file: z.string().min(1).describe("The check's ONNX file, relative to the manifest's folder"),
        sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('Checked at load when present'),
        input: z.string().default('crops').describe('Input tensor: [N,3,size,size] float32 in the model\'s channel order, 0–255'),
        output: z.string().default('yes').describe('Output tensor: [N,K] probability that the crop shows the class, one column per entry of classes'),
        classes: z
          .array(
            z.object({
              name: z.string(),
              threshold: z.number().gt(0).lt(1).describe('Probability at which a box passes unchanged; under it its score shrinks in proportion'),
            }).strict(),
          )
          .min(1)
          .describe("Classes whose boxes the check looks at again, in the order of the output's columns"),
        size: z.number().int().positive().default(64).describe('Crop side in pixels'),
        grow: z.number().min(1).default(1.3).describe('Box grown by this factor around its centre before cutting'),
        minSide: z.number().positive().default(12).describe('Smallest crop side in model-input pixels'),
      })
      .strict()
      .optional()
      .describe(
        'A second look at each box of some classes: a small classifier on the box\'s crop rescales its score, so ' +
          'look-alikes the detector mistakes for the class (red signs for fire) fall under the threshold',
      ),
    license: z.string(),
    provenance: z.string().describe('Where the weights came from and how they were trained'),
  })
  .strict()
  .superRefine((m, ctx) => {
    const names = new Set(m.classes.map((c) => c.name));
    m.cropCheck?.classes.forEach(({ name }, i) => {
      if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['cropCheck', 'classes', i, 'name'], message: `"${name}" is not one of this model's classes` });
    });
    const seen = new Set<string>();
    m.exclusiveClasses.forEach((group, g) =>
      group.forEach((name, i) => {
        if (!names.has(name)) {
          ctx.addIssue({ code: 'custom', path: ['exclusiveClasses', g, i], message: `"${name}" is not one of this model's classes` });
        } else if (seen.has(name)) {
          ctx.addIssue({ code: 'custom', path: ['exclusiveClasses', g, i], message: `"${name}" is in more than one group` });
        }
        seen.add(name);
      }),
    );
  });

export type ModelManifest = z.infer<typeof ModelManifestSchema>;
