/** Builds a review server over a temporary storage dir, with one user per role, for API and UI tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { CameraConfig } from '../../src/config/schema.js';
import { ReviewStore } from '../../src/review/store/review-store.js';
import { buildReviewServer, type ReviewServerOptions } from '../../src/review/server.js';
import { ensureAdmin } from '../../src/review/auth/ensure-admin.js';
import type { Role } from '../../src/review/store/status.js';
import { seedEvents, type SeededEvent } from './seed.js';

export const PASSWORDS: Record<Role, string> = {
  admin: 'admin-password-for-tests',
  supervisor: 'supervisor-password-1',
  operator: 'operator-password-1',
};
export const USERNAMES: Record<Role, string> = { admin: 'admin', supervisor: 'zhang.wei', operator: 'li.na' };

export const TEST_CAMERAS: CameraConfig[] = [
  { id: 'cam-east-gate', name: '东门广场', url: 'rtsp://admin:s3cret-pass@10.20.30.40:554/Streaming/Channels/101?user=admin&password=s3cret-pass', enabled: true, loop: true, zones: [], violations: ['stall', 'dumping'], intervalSec: 5, decode: 'keyframe' },
  { id: 'cam-river-road', name: '滨河路', url: 'rtsp://operator:hunter2@cam2.example.net/live', enabled: true, loop: true, zones: [], violations: ['dumping', 'burning'], intervalSec: 5, decode: 'keyframe' },
  { id: 'cam-market-st', name: '菜市场街', url: 'file:///srv/fixtures/market.mp4', enabled: true, loop: true, zones: [], violations: ['stall'], intervalSec: 5, decode: 'keyframe' },
];

export interface ReviewFixture {
  dir: string;
  store: ReviewStore;
  app: FastifyInstance;
  seeded: SeededEvent[];
  /** The Cookie header of a fresh session for that role. */
  login(role: Role): Promise<string>;
  close(): Promise<void>;
}

export async function reviewFixture(opts: Partial<ReviewServerOptions> & { seed?: boolean; now?: number } = {}): Promise<ReviewFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'patrol-review-'));
  const store = ReviewStore.open(dir);
  await ensureAdmin(store, { PATROL_ADMIN_PASSWORD: PASSWORDS.admin });
  await store.users.create({ username: USERNAMES.supervisor, password: PASSWORDS.supervisor, role: 'supervisor' });
  await store.users.create({ username: USERNAMES.operator, password: PASSWORDS.operator, role: 'operator' });
  const seeded = opts.seed === false ? [] : await seedEvents(store, dir, { now: opts.now });
  const app = buildReviewServer({ store, storageDir: dir, cameras: TEST_CAMERAS, loginPerMinute: 1000, ...opts });
  await app.ready();
  return {
    dir,
    store,
    app,
    seeded,
    async login(role) {
      const res = await app.inject({ method: 'POST', url: '/api/login', payload: { username: USERNAMES[role], password: PASSWORDS[role] } });
      if (res.statusCode !== 200) throw new Error(`login as ${role} failed: ${res.statusCode} ${res.body}`);
      const c = res.cookies.find((k) => k.name === 'patrol_session');
      return `patrol_session=${c!.value}`;
    },
    async close() {
      await app.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
