import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The training pipeline's unit tests (models/train/test_model.py) run in Debian's python with torch; the ones
// that need ../shared (the teacher model, the datasets) skip there, as they say.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Debian's python, as test/support/components.ts checks it (importing that module would mark this file as needing
// every component its markers name).
const PYTHON = process.env.PATROL_RTSP_PYTHON ?? '/usr/bin/python3';

describe('training pipeline (models/train/test_model.py)', () => {
  it('passes its Python unit tests: model format, the Focus fold, loss, thresholds, box scale, fog list', () => {
    const run = spawnSync(PYTHON, ['-m', 'unittest', 'test_model', '-v'], {
      cwd: path.join(repo, 'models/train'),
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    const report = `${run.stdout}\n${run.stderr}`;
    expect(run.status, report).toBe(0);
    expect(report).toMatch(/^OK\b/m);
    const ran = Number(/Ran (\d+) tests?/.exec(report)?.[1] ?? 0);
    expect(ran).toBeGreaterThanOrEqual(10);
    expect(report).toMatch(/test_thresholds_take_the_pooled_split_only_where_valid_is_sparse \S+ \.\.\. ok/);
  }, 320_000);
});
