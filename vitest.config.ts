import { defineConfig } from 'vitest/config';
import { filesNeedingAbsentComponents } from './test/support/components.js';
import { SERIAL_TESTS } from './vitest.serial.config.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Multi-process failover tests run alone in a second pass (vitest.serial.config.ts).
    // Files that need a program this machine lacks (redis-server, ffmpeg, the RTSP server, Chromium) are left
    // out with one summary naming each and its install command.
    exclude: ['**/node_modules/**', ...SERIAL_TESTS, ...filesNeedingAbsentComponents(import.meta.dirname)],
    // Two cores: integration tests spawn ffmpeg, redis-server and an RTSP server; keep the machine responsive.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    // CI also writes a JSON report; .ci/run turns it into one closing "N passed, N failed" line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test/artifacts/vitest.json' },
    hookTimeout: 60_000,
  },
});
