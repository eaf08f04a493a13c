import { defineConfig } from 'vitest/config';

/**
 * Slow fault tests (issue 8): `npm run test:faults`. Real redis-server, ffmpeg and the GStreamer RTSP server,
 * faults that last a minute (a 60 s Redis outage, stalled and broken cameras with the production backoff and
 * watchdog). Named *.spec.ts so the normal suite (`test/**\/*.test.ts`) never picks them up.
 * One file at a time: they measure recovery times on a 2-core machine and must not compete with each other.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.spec.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test/artifacts/vitest-faults.json' },
    env: { PATROL_OUTAGE_SEC: process.env.PATROL_OUTAGE_SEC ?? '60' },
  },
});
