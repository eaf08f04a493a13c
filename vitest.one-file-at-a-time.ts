import type { ViteUserConfig } from 'vitest/config';

/**
 * The shared shape of the slow passes (serial fleet test, fault suite): separate processes, one file at a time,
 * because they time recoveries on a 2-core machine and must not compete; a JSON report under CI for .ci/run.
 */
export function oneFileAtATime(o: { include: string[]; testTimeout: number; report: string; env?: Record<string, string> }): ViteUserConfig {
  return {
    test: {
      include: o.include,
      pool: 'forks',
      maxWorkers: 1,
      fileParallelism: false,
      testTimeout: o.testTimeout,
      hookTimeout: 120_000,
      reporters: process.env.CI ? ['default', 'json'] : ['default'],
      outputFile: { json: `test/artifacts/${o.report}.json` },
      ...(o.env ? { env: o.env } : {}),
    },
  };
}
