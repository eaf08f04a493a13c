import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { errorOf } from '../support/patrol-error.js';

const cam = (extra: string, url = 'rtsp://10.0.0.1/s', top = ''): string => `
cameras:
  - id: c1
    url: ${url}
${extra}
detector:
  manifest: m.json
${top}`;


describe('tour mode config', () => {
  it('fills the defaults: revisit 60 s, priority 1, no hours; 32 visits at once, 10 s for the first keyframe', () => {
    const c = parseConfig(cam('    transport: native\n    tour: {}'), 'f.yaml', {});
    expect(c.cameras[0]!.tour).toEqual({ revisitSec: 60, priority: 1, hours: [] });
    expect(c.tour).toEqual({ maxVisits: 32, visitTimeoutSec: 10, missTolerance: 0.5 });
    expect(parseConfig(cam('    transport: native'), 'f.yaml', {}).cameras[0]!.tour).toBeUndefined();
  });

  it('takes hotspot priorities, market hours and a time zone', () => {
    const c = parseConfig(
      cam(
        '    transport: native\n    tour:\n      revisitSec: 120\n      priority: 2\n      hours:\n        - { from: "06:00", to: "09:30", priority: 4, days: [sat, sun] }\n        - { from: "22:00", to: "02:00", priority: 3 }',
        undefined,
        'tour:\n  maxVisits: 32\n  timezone: Asia/Shanghai\n',
      ),
      'f.yaml',
      {},
    );
    expect(c.cameras[0]!.tour?.hours).toHaveLength(2);
    expect(c.tour.timezone).toBe('Asia/Shanghai');
    expect(c.tour.maxVisits).toBe(32);
  });

  it('tours an rtsp:// camera without a transport line (native is its default)', () => {
    const c = parseConfig(cam('    tour: { revisitSec: 60 }'), 'f.yaml', {});
    expect(c.cameras[0]!.tour?.revisitSec).toBe(60);
    expect(c.cameras[0]!.transport).toBeUndefined();
  });

  it('names the field and the fix when a toured camera is not native', () => {
    const ffmpeg = errorOf(() => parseConfig(cam('    transport: ffmpeg\n    tour: {}'), 'f.yaml', {}));
    expect(ffmpeg.message).toMatch(/cameras\[0\]\.tour: camera 'c1' is toured, which needs transport 'native' \(it has ffmpeg: transport: ffmpeg in the config\)/);
    expect(ffmpeg.hint).toContain('Remove transport: ffmpeg from cameras[0]');
    const interval = errorOf(() => parseConfig(cam('    decode: interval\n    tour: {}'), 'f.yaml', {}));
    expect(interval.message).toMatch(/cameras\[0\]\.tour: .*\(it has ffmpeg: default for decode: interval/);
    expect(interval.hint).toContain('Set cameras[0].decode to keyframe, or remove cameras[0].tour');
    for (const url of ['file://clip.mp4', 'rtsps://10.0.0.1/s']) {
      const err = errorOf(() => parseConfig(cam('    tour: {}', url), 'f.yaml', {}));
      expect(err.message).toMatch(/cameras\[0\]\.tour: camera 'c1' is toured, which needs transport 'native' \(it has ffmpeg: default for /);
      expect(err.hint).toContain('Give cameras[0] a plain rtsp:// url, or remove cameras[0].tour');
    }
  });

  it('refuses a toured file or rtsps:// camera through the native transport rule', () => {
    const err = errorOf(() => parseConfig(cam('    transport: native\n    tour: {}', 'file://clip.mp4'), 'f.yaml', {}));
    expect(err.message).toMatch(/transport 'native' needs an rtsp:\/\/ url/);
  });

  it('names a bad time of day, an empty window, a bad time zone and an unknown key', () => {
    expect(() => parseConfig(cam('    transport: native\n    tour:\n      hours: [{ from: "6:00", to: "09:00", priority: 2 }]'), 'f.yaml', {})).toThrow(/cameras\[0\]\.tour\.hours\[0\]\.from.*HH:MM/s);
    expect(() => parseConfig(cam('    transport: native\n    tour:\n      hours: [{ from: "09:00", to: "09:00", priority: 2 }]'), 'f.yaml', {})).toThrow(/cameras\[0\]\.tour\.hours\[0\]: the window from 09:00 to 09:00 is empty/);
    expect(() => parseConfig(cam('    transport: native\n    tour: {}', undefined, 'tour:\n  timezone: Mars/Olympus\n'), 'f.yaml', {})).toThrow(/tour\.timezone.*IANA time zone/s);
    expect(() => parseConfig(cam('    transport: native\n    tour: { revisit: 60 }'), 'f.yaml', {})).toThrow(/revisit/);
    expect(() => parseConfig(cam('    transport: native\n    tour: { priority: 0.5 }'), 'f.yaml', {})).toThrow(/cameras\[0\]\.tour\.priority/);
  });
});
