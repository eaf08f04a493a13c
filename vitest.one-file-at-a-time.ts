import type { ViteUserConfig } from 'vitest/config';
import { filesNeedingAbsentComponents } from './test/support/components.js';

/**
 * The shared shape of the slow passes (serial fleet test, fault suite): separate processes, one file at a time,
 * because they time recoveries on a 2-core machine and must not compete; a JSON report under CI for .ci/run.
 */
export function oneFileAtATime(o: { include: string[]; testTimeout: number; report: string; env?: Record<string, string> }): ViteUserConfig {
  const leftOut = filesNeedingAbsentComponents(import.meta.dirname);
  return {
    test: {
      include: o.include,
      exclude: ['**/node_modules/**', ...leftOut],
      // A pass whose every file needs an absent program has nothing to run; the summary above says why.
      passWithNoTests: leftOut.length > 0,
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
