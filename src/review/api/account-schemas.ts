import { z } from 'zod';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../store/audit-store.js';
import { NewPassword, Username } from '../store/user-store.js';
import { ROLES } from '../store/status.js';

/**
 * Wire shapes of user administration and the audit log (the UI imports the inferred types). Passwords are
 * checked again on the server against the full policy (password-policy.ts); 400 names what is wrong.
 */

export const UserIdParams = z.object({ id: z.coerce.number().int().min(1) }).strict();

export const RoleBody = z.object({ role: z.enum(ROLES) }).strict();
export type RoleBody = z.infer<typeof RoleBody>;

export const ResetPasswordBody = z.object({ password: NewPassword }).strict();
export type ResetPasswordBody = z.infer<typeof ResetPasswordBody>;

export const ChangeOwnPasswordBody = z.object({ currentPassword: z.string().min(1).max(256), newPassword: NewPassword }).strict();
export type ChangeOwnPasswordBody = z.infer<typeof ChangeOwnPasswordBody>;

export const CreateUserBody = z.object({ username: Username, password: NewPassword, role: z.enum(ROLES) }).strict();
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const AuditEntryView = z.object({
  id: z.number().int(),
  at: z.number().describe('epoch ms'),
  actorId: z.number().int().nullable(),
  actor: z.string().describe('the account, or the name typed at a failed login'),
  ip: z.string().nullable().describe('client address (X-Forwarded-For only with review.trustProxy)'),
  action: z.enum(AUDIT_ACTIONS),
  target: z.string().nullable().describe('user name or event id acted on'),
  outcome: z.enum(AUDIT_OUTCOMES),
  detail: z.record(z.string(), z.unknown()).nullable(),
});
export type AuditEntryView = z.infer<typeof AuditEntryView>;

export const AuditQuery = z
  .object({
    actor: z.string().max(200).optional(),
    action: z.array(z.enum(AUDIT_ACTIONS)).max(50).optional().describe('repeat to match any of several'),
    target: z.string().max(200).optional(),
    outcome: z.enum(AUDIT_OUTCOMES).optional(),
    from: z.number().int().min(0).optional().describe('at ≥ from (epoch ms)'),
    to: z.number().int().min(0).optional().describe('at ≤ to (epoch ms)'),
    limit: z.number().int().min(1).max(500).default(100),
    offset: z.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditPageView = z.object({
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  items: z.array(AuditEntryView),
});
export type AuditPageView = z.infer<typeof AuditPageView>;
