import { iou } from '../geometry/box.js';
import type { Proposal } from './proposal.js';

export interface NmsOptions {
  /** Keep at most this many proposals (highest scores) going into NMS; bounds the O(n²) worst case. */
  maxProposals?: number;
  /** Keep at most this many detections per image. */
  maxDetections?: number;
  /**
   * Suppression group of each class id (index = class id). Classes in one group suppress each other: they are
   * alternative labels for one object (a bin is either garbage_bin or overflow, never both). Default: own group.
   */
  groups?: ArrayLike<number>;
}

/**
 * Class-wise greedy non-maximum suppression: a proposal is dropped when it overlaps an already kept,
 * higher-scoring proposal of the same class (or of the same `groups` entry) by IoU > iouThreshold. Other
 * classes never suppress each other (a person standing at a stall is both). Returns kept proposals, highest
 * score first.
 */
export function nms(proposals: readonly Proposal[], iouThreshold: number, opts: NmsOptions = {}): Proposal[] {
  const maxProposals = opts.maxProposals ?? 3000;
  const maxDetections = opts.maxDetections ?? 300;
  // Stable sort: equal scores keep decoder order, so results are deterministic.
  const sorted = [...proposals].sort((a, b) => b.score - a.score).slice(0, maxProposals);
  const keptByGroup = new Map<number, Proposal[]>();
  const kept: Proposal[] = [];
  for (const c of sorted) {
    const group = opts.groups?.[c.classId] ?? c.classId;
    let same = keptByGroup.get(group);
    if (!same) {
      same = [];
      keptByGroup.set(group, same);
    }
    if (same.some((k) => iou(k.box, c.box) > iouThreshold)) continue;
    same.push(c);
    kept.push(c);
    if (kept.length >= maxDetections) break;
  }
  return kept;
}
