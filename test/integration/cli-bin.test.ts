/**
 * bin/patrol.js run as an executable (how `npx patrol` and an npm-installed `patrol` start it): its shebang
 * passes the heap floor to node through `env -S`, which must work on the machines Patrol runs on.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../support/fixture-video.js';

describe('bin/patrol.js as an executable', () => {
  it('starts through its shebang and prints the usage', () => {
    const out = execFileSync(join(REPO, 'bin/patrol.js'), ['--help'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    expect(out).toMatch(/^Patrol — video-AI violation detection/m);
    expect(out).toContain('patrol run');
  });
});
