import { z } from 'zod';

/**
 * Why an operator rejects an alarm; the counts feed model retraining and threshold tuning. `normal_here`
 * also teaches the camera's scene model that what the event shows belongs there (a kiosk, planters).
 */
export const REJECT_REASONS = ['shadow_lighting', 'wrong_object', 'permitted_activity', 'normal_here', 'duplicate', 'other'] as const;
export const RejectReason = z.enum(REJECT_REASONS);
export type RejectReason = z.infer<typeof RejectReason>;

const Note = z.string().trim().max(1000);
/** Squad names and grid cells (网格) are short codes typed by staff. */
const Code = z.string().trim().min(1).max(64);

export const ConfirmInput = z.object({ note: Note.optional() }).strict();

export const RejectInput = z
  .object({ reason: RejectReason, note: Note.optional() })
  .strict()
  .refine((v) => v.reason !== 'other' || (v.note !== undefined && v.note.length > 0), {
    message: 'a note is required when the reason is "other"',
    path: ['note'],
  });

export const DispatchInput = z
  .object({ squad: Code.optional(), gridCell: Code.optional(), note: Note.optional() })
  .strict()
  .refine((v) => v.squad !== undefined || v.gridCell !== undefined, {
    message: 'name a squad or a grid cell to dispatch to',
    path: ['squad'],
  });

export const CloseInput = z.object({ note: Note.optional() }).strict();

export const ACTION_INPUTS = {
  confirm: ConfirmInput,
  reject: RejectInput,
  dispatch: DispatchInput,
  close: CloseInput,
} as const;

/** Everything an action may carry, normalized; absent fields are undefined. */
export interface ActionDetails {
  reason?: RejectReason;
  note?: string;
  squad?: string;
  gridCell?: string;
}
