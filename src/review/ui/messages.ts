// The server's refusals are English sentences for API users; the page shows them in the reader's
// language where it knows the kind (the rules of src/review/auth/password-policy.ts and the 409 codes of
// user-routes.ts), and as the server wrote them otherwise.
import type { Translate } from './i18n.js';

const PASSWORD_PROBLEMS: readonly [key: string, pattern: RegExp][] = [
  ['password.short', /at least \d+ characters/i],
  ['password.long', /at most \d+ characters/i],
  ['password.fewChars', /too few different characters/i],
  ['password.repeated', /short pattern repeated/i],
  ['password.common', /most common passwords/i],
  ['password.likeName', /too close to the username/i],
];

export function passwordProblem(t: Translate, message: string, min: number): string {
  const key = PASSWORD_PROBLEMS.find(([, re]) => re.test(message))?.[0];
  return key ? t(key, { n: min }) : message;
}

const FIELDS = ['username', 'password', 'newPassword', 'currentPassword', 'role'] as const;

/**
 * A 400's message names the field the server refused (`body/username must match pattern "…"`, or
 * `username: …`): the reader gets that field's name and its rule in their language, not the pattern.
 */
export function invalidInput(t: Translate, message: string, min: number): string {
  const field = FIELDS.find((f) => new RegExp(`(^|[/\\s;])${f}\\b`).test(message));
  if (!field) return t('users.invalid');
  return `${t('users.invalid')}：${t(`field.${field}`)} — ${t(`field.${field}.rule`, { n: min })}`;
}

/** The message for a failed user-admin call, by status and the server's error code. */
export function userError(t: Translate, err: { status?: number; code?: string; message: string }, min: number): string {
  if (err.code === 'weak_password') return `${t('users.weakPassword')}：${passwordProblem(t, err.message, min)}`;
  if (err.code === 'user_lookalike') return `${t('users.lookalike')}：${err.message}`;
  if (err.code === 'user_exists') return `${t('users.exists')}：${err.message}`;
  if (err.code === 'self') return t('users.notSelf');
  if (err.code === 'last_admin') return t('users.lastAdmin');
  if (err.status === 400) return invalidInput(t, err.message, min);
  if (err.status === 403) return t('error.forbidden');
  if (err.status === 404) return t('users.gone');
  return `${t('error.generic')}: ${err.message}`;
}
