import { z } from 'zod';
import { BoxSchema, type Box } from './box.js';

/**
 * A reviewer's "normal here" on an event (a reject with reason `normal_here`): what its boxes cover belongs
 * in the camera's view, so the scene model takes it into its reference and stops calling it new.
 */
export interface NormalHereNotice {
  cameraId: string;
  eventId: string;
  /** Normalized boxes of the event's best frame: the scene region and the detections that fed the event. */
  boxes: Box[];
  /** Who said so (username), for the worker's log. */
  by: string;
  at: number;
}

/**
 * What became of the notice: `applied` to the running scene model here, `sent` to the fleet (the worker
 * holding the camera applies it), `not-analyzed` when no scene model runs for the camera now (nothing to
 * teach: the next one to start takes the view as it is as its baseline), `unavailable` when it could not be
 * delivered (Redis down) — the reject itself is recorded either way.
 */
export type NormalHereOutcome = 'applied' | 'sent' | 'not-analyzed' | 'unavailable';

export interface SceneFeedbackSink {
  normalHere(notice: NormalHereNotice): Promise<NormalHereOutcome>;
}

/** The notice as it crosses a process (the fleet's Redis stream). */
export const NormalHereNoticeSchema = z.object({
  cameraId: z.string().min(1),
  eventId: z.string().min(1),
  boxes: z.array(BoxSchema).max(64),
  by: z.string(),
  at: z.number(),
});
