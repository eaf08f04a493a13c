import { defineConfig } from 'vitest/config';

/**
 * The second pass of `npm test`: multi-process tests (three worker processes, 30 RTSP cameras, a real
 * Redis) that time failovers, so they run alone, one file at a time, after the parallel suite.
 */
export const SERIAL_TESTS = ['test/integration/fleet-failover.test.ts'];

export default defineConfig({
  test: {
    include: SERIAL_TESTS,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test/artifacts/vitest-serial.json' },
  },
});
