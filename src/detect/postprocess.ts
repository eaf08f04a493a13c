import type { Proposal, DecodeParams } from './proposal.js';
import { decodeUltralytics } from './decode-ultralytics.js';
import { decodeYolov5 } from './decode-yolov5.js';
import { decodeYolox } from './decode-yolox.js';
import type { Detection } from '../contracts/detections.js';
import { toPictureBox } from './letterbox.js';
import type { ModelManifest } from './manifest.js';
import { nms } from './nms.js';

/** Everything needed to turn one image's raw output into detections; built once per model. */
export interface PostprocessSpec {
  format: ModelManifest['output']['format'];
  decode: DecodeParams;
  strides: readonly number[];
  nmsIou: number;
  /** NMS group per class id: the first class id of its exclusiveClasses group, else its own. */
  nmsGroups: Int32Array;
  classes: ModelManifest['classes'];
}

function nmsGroups(m: ModelManifest): Int32Array {
  const groups = Int32Array.from(m.classes, (_, i) => i);
  const id = new Map(m.classes.map((c, i) => [c.name, i]));
  for (const group of m.exclusiveClasses) {
    const ids = group.map((n) => id.get(n)!);
    const first = Math.min(...ids);
    for (const i of ids) groups[i] = first;
  }
  return groups;
}

export function postprocessSpec(m: ModelManifest, overrideThresholds?: ArrayLike<number>): PostprocessSpec {
  return {
    format: m.output.format,
    strides: m.output.strides,
    nmsIou: m.nmsIou,
    nmsGroups: nmsGroups(m),
    classes: m.classes,
    decode: {
      inputWidth: m.input.width,
      inputHeight: m.input.height,
      numClasses: m.classes.length,
      thresholds: overrideThresholds ?? Float32Array.from(m.classes, (c) => c.threshold),
      sigmoidApplied: m.output.sigmoid,
    },
  };
}

export function decodeOutput(data: Float32Array, spec: PostprocessSpec): Proposal[] {
  switch (spec.format) {
    case 'yolox':
      return decodeYolox(data, { ...spec.decode, strides: spec.strides });
    case 'yolov5':
      return decodeYolov5(data, spec.decode);
    case 'ultralytics':
      return decodeUltralytics(data, spec.decode);
  }
}

/**
 * One image's raw output → detections normalized to the camera picture: decode (per-class thresholds),
 * class-wise NMS (across exclusive groups), undo the top-left letterbox. Pure.
 */
export function postprocess(
  data: Float32Array,
  spec: PostprocessSpec,
  content: { contentWidth: number; contentHeight: number },
): Detection[] {
  const kept = nms(decodeOutput(data, spec), spec.nmsIou, { groups: spec.nmsGroups });
  const items: Detection[] = [];
  for (const c of kept) {
    const box = toPictureBox(c.box, content.contentWidth, content.contentHeight);
    if (!box) continue;
    const cls = spec.classes[c.classId]!;
    const d: Detection = { classId: c.classId, label: cls.name, score: c.score, box };
    if (cls.violation) d.violation = cls.violation;
    items.push(d);
  }
  return items;
}
