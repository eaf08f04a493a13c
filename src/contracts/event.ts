import { z } from 'zod';
import { DetectionSchema } from './detections.js';
import { ViolationType } from './violation.js';

export const EvidenceSchema = z.object({
  /** Paths relative to the storage dir. */
  snapshot: z.string().optional(),
  /** The snapshot's picture without boxes: the review UI draws its own, so a reviewer can switch them off. */
  frame: z.string().optional(),
  /** Persistence proof for stall/dumping: first sight, dwell met, latest sighting. */
  firstSeen: z.string().optional(),
  confirmed: z.string().optional(),
  latest: z.string().optional(),
  clip: z.string().optional(),
  /** An object the scene model found: the reference crop (before) beside the frame now (after), region outlined. */
  beforeAfter: z.string().optional(),
  /** sha256 hex of each file above, keyed by the same relative path. */
  sha256: z.record(z.string(), z.string()).default({}),
});
export type Evidence = z.infer<typeof EvidenceSchema>;
/** The evidence fields that name a file. */
export const EVIDENCE_FILES = ['snapshot', 'frame', 'firstSeen', 'confirmed', 'latest', 'clip', 'beforeAfter'] as const satisfies readonly (keyof Evidence)[];

/**
 * A violation event: one per incident per (camera, zone, type). Created by the scorer when the
 * persistence rule is met, updated while it stays, ended after it has been absent long enough.
 */
export const EventSchema = z.object({
  id: z.string(),
  cameraId: z.string(),
  zoneId: z.string(),
  type: ViolationType,
  /** First analyzed frame in which the violation was seen (epoch ms). */
  startedAt: z.number(),
  /** When the dwell/persistence rule was met and the event raised. */
  confirmedAt: z.number(),
  lastSeenAt: z.number(),
  endedAt: z.number().nullable(),
  peakScore: z.number(),
  /** Timestamp of the frame the peak score (and bestBoxes) came from; absent in records from before it existed. */
  peakAt: z.number().optional(),
  /** Detections from the frame with the peak score, normalized coordinates. */
  bestBoxes: z.array(DetectionSchema),
  /** Model that produced the detections. */
  model: z.string(),
  evidence: EvidenceSchema,
});
export type PatrolEvent = z.infer<typeof EventSchema>;

/** What the scorer emits; dispatch forwards `opened` and `ended`, `updated` refreshes evidence. */
export type EventChange =
  | { kind: 'opened'; event: PatrolEvent }
  | { kind: 'updated'; event: PatrolEvent }
  | { kind: 'ended'; event: PatrolEvent };
