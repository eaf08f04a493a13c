import { z } from 'zod';

/** The three violations Patrol watches for. */
export const ViolationType = z.enum(['stall', 'dumping', 'burning']);
export type ViolationType = z.infer<typeof ViolationType>;

export const VIOLATION_LABELS: Record<ViolationType, { zh: string; en: string }> = {
  stall: { zh: '占道经营', en: 'Stall encroachment' },
  dumping: { zh: '乱倒垃圾', en: 'Illegal dumping' },
  burning: { zh: '露天焚烧', en: 'Waste burning' },
};
