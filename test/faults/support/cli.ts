import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { REPO } from '../../../support/fixture-video.js';

const CLI = join(REPO, 'src', 'cli.ts');

export interface CliResult {
  code: number | null;
  /** Killed by `giveUpAfter` after its message was printed. */
  killedAfterMessage: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI to its exit. With `giveUpAfter`, a process still running `graceMs` after stderr matched it is
 * killed (code null): for a known slow exit that test/faults/cli-exit.spec.ts checks on its own.
 */
export function patrol(args: string[], env: NodeJS.ProcessEnv = {}, opts: { giveUpAfter?: RegExp; graceMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, PATROL_LOG_LEVEL: 'warn', PATROL_METRICS_PORT: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let giveUp: NodeJS.Timeout | undefined;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (opts.giveUpAfter && !giveUp && opts.giveUpAfter.test(stderr)) giveUp = setTimeout(() => child.kill('SIGKILL'), opts.graceMs ?? 3_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      clearTimeout(giveUp);
      resolve({ code, stdout, stderr, killedAfterMessage: code === null && giveUp !== undefined });
    });
  });
}

/** The contract for every user error: exit 2, `patrol: …` on stderr, each expected piece present, no stack. */
export function expectUserError(r: CliResult, ...expected: (string | RegExp)[]): void {
  const context = `exit ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`;
  expect(r.code === 2 || (r.code === null && r.killedAfterMessage), context).toBe(true);
  expect(r.stderr, context).toMatch(/^patrol: /m);
  expect(r.stderr, context).not.toContain('    at ');
  expect(r.stderr, context).not.toMatch(/\b(TypeError|RangeError|ReferenceError|ZodError)\b/);
  for (const e of expected) {
    if (typeof e === 'string') expect(r.stderr, context).toContain(e);
    else expect(r.stderr, context).toMatch(e);
  }
}
