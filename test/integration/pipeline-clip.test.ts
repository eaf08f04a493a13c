import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binStandingClip, expectClipUpdate, runUntilClip } from '../support/pipeline-clip.js';

describe('pipeline, live: evidence clip', () => {
  let dir: string;
  let clip: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-clip-'));
    clip = binStandingClip(dir);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('publishes the event, then an update carrying a playable MP4 clip with its sha256', async () => {
    const storageDir = join(dir, 'var');
    const got = await runUntilClip(dir, storageDir, `id: clip-cam\n    url: file://${clip}`, 60_000);
    const probe = expectClipUpdate(got, storageDir);
    expect(probe.codec).toBe('h264');
    // The camera had been live only a few seconds when the event opened, so the pre-roll is short; the post-roll is 10 s.
    expect(probe.duration).toBeGreaterThan(8);
  }, 120_000);
});
