import { z } from 'zod';
import { ViolationType } from '../../../src/contracts/violation.js';
import type { ViolationClipStats, ViolationImageStats } from './score.js';

/** The `real` section of bench/targets.json. */
export const RealTargetsSchema = z
  .object({
    $comment: z.string().optional(),
    /** Minimum share of expected events raised inside their window, per type. */
    clipRecall: z.partialRecord(ViolationType, z.number().min(0).max(1)).default({}),
    /** Most false events per clip-hour, per type (0: none at all). */
    maxFalseEventsPerClipHour: z.number().min(0).default(0),
    /** Minimum share of labelled stills on which the type is found. */
    imageRecall: z.partialRecord(ViolationType, z.number().min(0).max(1)).default({}),
    /** Most share of the "none" stills on which any violation is found. */
    maxImageFalsePositiveRate: z.number().min(0).max(1).default(0.03),
  })
  .strict();
export type RealTargets = z.infer<typeof RealTargetsSchema>;

export interface RealCheck {
  what: string;
  value: number | null;
  target: number;
  /** undefined: nothing in the data set to measure it on. */
  ok: boolean | undefined;
  lowerIsBetter: boolean;
}

export function checkRealTargets(
  t: RealTargets,
  clips: Partial<Record<ViolationType, ViolationClipStats>>,
  images: Partial<Record<ViolationType, ViolationImageStats>>,
  anyRate: number | null,
  have: { clips: boolean; images: boolean },
): RealCheck[] {
  const out: RealCheck[] = [];
  const atLeast = (what: string, value: number | null, target: number) => out.push({ what, value, target, ok: value === null ? undefined : value >= target - 1e-9, lowerIsBetter: false });
  const atMost = (what: string, value: number | null, target: number) => out.push({ what, value, target, ok: value === null ? undefined : value <= target + 1e-9, lowerIsBetter: true });
  if (have.clips) {
    for (const [type, target] of Object.entries(t.clipRecall) as [ViolationType, number][]) atLeast(`${type} clip recall`, clips[type]?.recall ?? null, target);
    for (const type of ViolationType.options) {
      const s = clips[type];
      if (s && s.hours > 0) atMost(`${type} false events per clip-hour`, s.falsePerHour, t.maxFalseEventsPerClipHour);
    }
  }
  if (have.images) {
    for (const [type, target] of Object.entries(t.imageRecall) as [ViolationType, number][]) atLeast(`${type} image recall`, images[type]?.recall ?? null, target);
    atMost('negative stills raising any violation', anyRate, t.maxImageFalsePositiveRate);
  }
  return out;
}
