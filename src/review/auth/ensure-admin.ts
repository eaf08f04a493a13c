import { randomBytes } from 'node:crypto';
import type { ReviewStore } from '../store/review-store.js';

export interface EnsureAdminResult {
  created: boolean;
  username?: string;
  /** Only when generated here: the caller prints it once; it is stored nowhere else. */
  password?: string;
}

/**
 * First run (no users at all): creates `admin`. The password comes from PATROL_ADMIN_PASSWORD (tests,
 * CI, provisioning) or is generated; a generated one is returned so the caller can print it once.
 */
export async function ensureAdmin(store: ReviewStore, env: NodeJS.ProcessEnv = process.env): Promise<EnsureAdminResult> {
  if (store.users.count() > 0) return { created: false };
  const fromEnv = env.PATROL_ADMIN_PASSWORD;
  // 18 random bytes → 24 base64url characters, 144 bits.
  const password = fromEnv && fromEnv.length > 0 ? fromEnv : randomBytes(18).toString('base64url');
  await store.users.create({ username: 'admin', password, role: 'admin' });
  return fromEnv ? { created: true, username: 'admin' } : { created: true, username: 'admin', password };
}
