import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FfmpegNotFoundError, resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';

describe('resolveFfmpeg', () => {
  it('finds ffmpeg on PATH first, and probes its features', () => {
    const bin = resolveFfmpeg({ env: { PATH: process.env.PATH } });
    expect(bin.version).toMatch(/^ffmpeg version/);
    expect(['system', 'npm']).toContain(bin.origin);
    if (bin.origin === 'system' && /version [5-9]\./.test(bin.version)) {
      expect(bin.features).toEqual({ fpsMode: true, rtspSocketTimeout: 'timeout', showinfoChecksumOption: true });
    }
  });

  it('falls back to the npm binary (2018 build: -vsync, -stimeout) when PATH has none', () => {
    const bin = resolveFfmpeg({ env: { PATH: '/nonexistent' } });
    expect(bin.origin).toBe('npm');
    expect(bin.path).toMatch(/@ffmpeg-installer/);
    expect(bin.features).toEqual({ fpsMode: false, rtspSocketTimeout: 'stimeout', showinfoChecksumOption: true });
  });

  it('honours FFMPEG_PATH and fails clearly when it is not ffmpeg', () => {
    const dir = mkdtempSync(join(tmpdir(), 'patrol-fake-ffmpeg-'));
    const fake = join(dir, 'ffmpeg');
    writeFileSync(fake, '#!/bin/sh\nexit 1\n');
    chmodSync(fake, 0o755);
    expect(() => resolveFfmpeg({ env: { FFMPEG_PATH: fake, PATH: process.env.PATH } })).toThrow(FfmpegNotFoundError);
    expect(() => resolveFfmpeg({ env: { FFMPEG_PATH: fake } })).toThrow(/FFMPEG_PATH .* is not a working ffmpeg/);
  });

  it('names both fixes when there is no ffmpeg at all', () => {
    // An explicit path that does not exist stands in for "nothing installed" without touching node_modules.
    expect(() => resolveFfmpeg({ ffmpegPath: '/nonexistent/ffmpeg' })).toThrow(/apt-get install ffmpeg.*npm install @ffmpeg-installer/);
  });
});
