import { defineConfig } from 'vitest/config';
import { oneFileAtATime } from './vitest.one-file-at-a-time.js';

/**
 * The second pass of `npm test`: multi-process tests (three worker processes, 30 RTSP cameras, a real
 * Redis) that time failovers, so they run alone, one file at a time, after the parallel suite.
 */
export const SERIAL_TESTS = ['test/integration/fleet-failover.test.ts', 'test/integration/fleet-camera-state.test.ts'];

export default defineConfig(oneFileAtATime({ include: SERIAL_TESTS, testTimeout: 180_000, report: 'vitest-serial' }));
