import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { PATROL_DET_MANIFEST } from '../support/test-model.js';
import { expectUserError, patrol } from './support/cli.js';

/**
 * A one-pass run whose only camera cannot be read must exit as soon as it has said so, not keep the process
 * alive (issue 8: "nothing hangs"). The message itself is checked in the normal suite (faults-cli.test.ts).
 */
describe('one-pass CLI runs over unreadable input exit promptly', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-cli-exit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const configFor = (url: string) => {
    const file = join(dir, `cfg-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, `cameras:\n  - id: cam-01\n    url: ${url}\ndetector:\n  manifest: ${PATROL_DET_MANIFEST}\n`);
    return file;
  };

  it('patrol analyze NOT-A-VIDEO: exit 2 within 20 s', async () => {
    const notVideo = join(dir, 'not-a-video.mp4');
    writeFileSync(notVideo, 'this is text, not H.264\n');
    const t0 = Date.now();
    const r = await patrol(['analyze', notVideo, '--config', configFor('file://x.mp4')]);
    const sec = (Date.now() - t0) / 1000;
    console.log(`[cli-exit] patrol analyze on a text file exited ${r.code} after ${sec.toFixed(1)} s`);
    expectUserError(r, 'not a readable video file');
    expect(sec).toBeLessThan(20);
  }, 120_000);

  it('patrol run --once with a truncated video: exits within 20 s with a summary', async () => {
    const video = join(dir, 'truncated.mp4');
    execFileSync(resolveFfmpeg().path, ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10', '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', video]);
    // Cut the file in half: the moov atom at the end is gone (a copy interrupted mid-way).
    truncateSync(video, Math.floor(statSync(video).size / 2));
    const t0 = Date.now();
    const r = await patrol(['run', '--once', '--no-review', '--config', configFor(`file://${video}`)], { PATROL_STORAGE_DIR: join(dir, 'var') });
    const sec = (Date.now() - t0) / 1000;
    console.log(`[cli-exit] patrol run --once on a truncated mp4 exited ${r.code} after ${sec.toFixed(1)} s`);
    expect(r.stderr).not.toContain('    at ');
    expect(`${r.stdout}${r.stderr}`).toMatch(/cam-01 .*failed|not a readable video file|moov atom not found/);
    expect(sec).toBeLessThan(20);
  }, 120_000);
});
