import { describe, expect, it } from 'vitest';
import { cameraInput } from '../../src/ingest/camera-input.js';

describe('cameraInput', () => {
  it('resolves relative file:// paths against the config folder and keeps absolute ones', () => {
    expect(cameraInput('file://fixtures/stall.ts', '/srv/patrol/config')).toEqual({ kind: 'file', path: '/srv/patrol/config/fixtures/stall.ts' });
    expect(cameraInput('file://../fixtures/a.ts', '/srv/patrol/config')).toEqual({ kind: 'file', path: '/srv/patrol/fixtures/a.ts' });
    expect(cameraInput('file:///data/cam%201.mp4', '/x')).toEqual({ kind: 'file', path: '/data/cam 1.mp4' });
    expect(cameraInput('file:///data/100%.mp4', '/x')).toEqual({ kind: 'file', path: '/data/100%.mp4' });
  });

  it('passes RTSP URLs through untouched', () => {
    expect(cameraInput('rtsp://u:p@10.0.0.5:554/s1', '/x')).toEqual({ kind: 'rtsp', url: 'rtsp://u:p@10.0.0.5:554/s1' });
    expect(cameraInput('rtsps://cam/s1', '/x').kind).toBe('rtsp');
  });

  it('rejects other schemes and empty paths', () => {
    expect(() => cameraInput('http://cam/1', '/x')).toThrow(/unsupported/);
    expect(() => cameraInput('file://', '/x')).toThrow(/empty/);
  });
});
