import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword, SCRYPT_PARAMS } from '../../src/review/auth/password.js';
import { displaySource, cameraView } from '../../src/review/api/camera-view.js';
import { VIOLATION_LABELS } from '../../src/contracts/violation.js';
import { REJECT_REASONS } from '../../src/review/store/action-input.js';
import { REVIEW_STATUSES, ROLES } from '../../src/review/store/status.js';
import { buildMeta } from '../../src/review/api/meta-routes.js';

describe('password hashing', () => {
  it('uses scrypt with N ≥ 2^15 and stores salt and parameters with the hash', async () => {
    expect(SCRYPT_PARAMS.N).toBeGreaterThanOrEqual(2 ** 15);
    const h = await hashPassword('correct horse battery staple');
    const [alg, N, r, p, salt, key] = h.split('$');
    expect({ alg, N: Number(N), r: Number(r), p: Number(p) }).toEqual({ alg: 'scrypt', ...SCRYPT_PARAMS });
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64')).toHaveLength(32);
    expect(await verifyPassword('correct horse battery staple', h)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', h)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await hashPassword('same-password-here')).not.toBe(await hashPassword('same-password-here'));
  });

  it('verifies hashes made with other parameters (they travel with the hash)', async () => {
    const h = await hashPassword('pw-with-cheap-params', { N: 2 ** 10, r: 8, p: 1 });
    expect(await verifyPassword('pw-with-cheap-params', h)).toBe(true);
  });

  it('rejects malformed stored hashes instead of throwing', async () => {
    for (const bad of ['', 'plain', 'scrypt$a$b$c$d$e', 'bcrypt$1$2$3$4$5', 'scrypt$1024$8$1$$']) expect(await verifyPassword('x', bad)).toBe(false);
  });
});

describe('camera view', () => {
  it('shows addresses without credentials, query strings or fragments', () => {
    expect(displaySource('rtsp://admin:pa%40ss@10.0.0.5:554/Streaming/101?user=a&password=b#x')).toBe('rtsp://10.0.0.5:554/Streaming/101');
    expect(displaySource('rtsps://u:p@cam.example/live')).toBe('rtsps://cam.example/live');
    expect(displaySource('file:///srv/fixtures/market%20street.mp4')).toBe('file://…/market street.mp4');
    expect(displaySource('rtsp://user:pass@[bad')).toBe('rtsp://***@[bad');
  });

  it('scrubs credentials from the state reason too', () => {
    const v = cameraView(
      { id: 'c', url: 'rtsp://u:p@h/x', enabled: true, loop: true, zones: [], violations: ['stall'], intervalSec: 5, decode: 'keyframe' },
      { cameraId: 'c', state: 'failed', attempt: 9, reason: 'rtsp://u:p@h/x?password=p 401 Unauthorized' },
      true,
    );
    expect(JSON.stringify(v)).not.toMatch(/u:p@|password=p/);
    expect(v).toMatchObject({ name: 'c', state: 'failed', liveView: true });
  });
});

describe('UI dictionary', () => {
  it('has every key in both languages, and leaves the violation names to /api/meta', async () => {
    const path = '../../src/review/ui/i18n.js';
    const { DICT } = (await import(/* @vite-ignore */ path)) as { DICT: Record<'zh' | 'en', Record<string, string>> };
    expect(Object.keys(DICT.en).sort()).toEqual(Object.keys(DICT.zh).sort());
    // The UI takes the names from the server (src/contracts/violation.ts) instead of keeping a copy.
    for (const type of Object.keys(VIOLATION_LABELS)) {
      expect(DICT.zh[`violation.${type}`]).toBeUndefined();
      expect(DICT.en[`violation.${type}`]).toBeUndefined();
    }
    expect(buildMeta([]).violations.map((v) => [v.type, v.label])).toEqual(Object.entries(VIOLATION_LABELS));
    for (const k of [...REJECT_REASONS.map((r) => `reason.${r}`), ...REVIEW_STATUSES.map((s) => `status.${s}`), ...ROLES.map((r) => `role.${r}`)]) {
      expect(DICT.zh[k], k).toBeTruthy();
    }
  });
});
