import { defineConfig } from 'vitest/config';
import { oneFileAtATime } from './vitest.one-file-at-a-time.js';

/**
 * Slow fault tests (issue 8): `npm run test:faults`. Real redis-server, ffmpeg and the GStreamer RTSP server,
 * faults that last a minute (a 60 s Redis outage, stalled and broken cameras with the production backoff and
 * watchdog). Named *.spec.ts so the normal suite (`test/**\/*.test.ts`) never picks them up.
 */
export default defineConfig(
  oneFileAtATime({
    include: ['test/faults/**/*.spec.ts'],
    testTimeout: 300_000,
    report: 'vitest-faults',
    env: { PATROL_OUTAGE_SEC: process.env.PATROL_OUTAGE_SEC ?? '60' },
  }),
);
