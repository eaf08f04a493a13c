import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig, substituteEnv } from '../../src/config/load-config.js';
import { errorOf } from '../support/patrol-error.js';

const base = `
cameras:
  - id: cam-01
    url: file://clip.mp4
    zones:
      - id: sidewalk
        polygon: [[0.1, 0.5], [0.9, 0.5], [0.9, 1.0], [0.1, 1.0]]
        violations: [stall]
detector:
  manifest: ../models/patrol-det.json
`;


describe('config loader', () => {
  it('accepts a minimal config and fills defaults', () => {
    const cfg = parseConfig(base, '/etc/patrol/site.yaml', {});
    expect(cfg.cameras[0]!.intervalSec).toBe(5);
    expect(cfg.cameras[0]!.zones[0]!.anchor).toBe('bottom-center');
    expect(cfg.queue.redisUrl).toBeUndefined();
    // Relative paths are relative to the config file, not the working directory.
    expect(cfg.cameras[0]!.url).toBe('file:///etc/patrol/clip.mp4');
    expect(cfg.detector.manifest).toBe('/etc/models/patrol-det.json');
  });

  it('names the file, the field, what was expected and an example fix for a bad url', () => {
    const err = errorOf(() => parseConfig(base.replace('file://clip.mp4', 'http://cam/stream'), 'site.yaml', {}));
    expect(err.message).toContain('site.yaml');
    expect(err.message).toContain('cameras[0].url');
    expect(err.message).toContain('rtsp://');
    expect(err.message).toMatch(/e\.g\. url: rtsp:/);
    expect(err.stack).toBeDefined();
  });

  it('rejects unknown keys by name', () => {
    const err = errorOf(() => parseConfig(base.replace('    zones:', '    zonez: []\n    zones:'), 'site.yaml', {}));
    expect(err.message).toContain("cameras[0]: unknown key 'zonez'");
  });

  it('rejects out-of-range coordinates', () => {
    const err = errorOf(() => parseConfig(base.replace('[0.9, 1.0]', '[0.9, 1.5]'), 'site.yaml', {}));
    expect(err.message).toContain('cameras[0].zones[0].polygon[2][1]');
  });

  it('rejects a self-intersecting zone polygon', () => {
    const bowtie = base.replace('[[0.1, 0.5], [0.9, 0.5], [0.9, 1.0], [0.1, 1.0]]', '[[0.1, 0.5], [0.9, 1.0], [0.9, 0.5], [0.1, 1.0]]');
    const err = errorOf(() => parseConfig(bowtie, 'site.yaml', {}));
    expect(err.message).toContain('cameras[0].zones[0].polygon: the polygon crosses itself');
    expect(err.hint).toMatch(/in order/);
  });

  it('rejects a zone watching a violation its camera does not enable', () => {
    const err = errorOf(() => parseConfig(base.replace('    zones:', '    violations: [dumping]\n    zones:'), 'site.yaml', {}));
    expect(err.message).toContain('cameras[0].zones[0].violations');
  });

  it('reports invalid YAML with a line number', () => {
    const err = errorOf(() => parseConfig('cameras:\n  - id: a\n   url: x', 'bad.yaml', {}));
    expect(err.message).toMatch(/bad\.yaml is not valid YAML.*line \d+/);
  });

  it('rejects duplicate camera ids', () => {
    const twice = `${base}\n`.replace('cameras:\n', 'cameras:\n  - id: cam-01\n    url: rtsp://10.0.0.1/s\n');
    const err = errorOf(() => parseConfig(twice, 'site.yaml', {}));
    expect(err.message).toContain("duplicate camera id 'cam-01'");
  });

  it('substitutes credentials from the environment and names a missing variable', () => {
    expect(substituteEnv('rtsp://${U}:${P}@h/s', { U: 'admin', P: 's3cret' }, 'f')).toBe('rtsp://admin:s3cret@h/s');
    expect(substituteEnv('${X:-fallback}', {}, 'f')).toBe('fallback');
    const err = errorOf(() => substituteEnv('rtsp://${CAM_PASS}@h', {}, 'site.yaml'));
    expect(err.message).toContain('CAM_PASS is not set');
  });

  it('lets REDIS_URL and PATROL_STORAGE_DIR from the environment win', () => {
    const cfg = parseConfig(base, 'site.yaml', { REDIS_URL: 'redis://10.1.1.1:6379', PATROL_STORAGE_DIR: '/data/patrol' });
    expect(cfg.queue.redisUrl).toBe('redis://10.1.1.1:6379');
    expect(cfg.storage.dir).toBe('/data/patrol');
  });

  it('says where to look when the file is missing', () => {
    const err = errorOf(() => loadConfig('/nonexistent/patrol.yaml'));
    expect(err.message).toContain('/nonexistent/patrol.yaml');
    expect(err.hint).toContain('--config');
  });

  it('loads a file from disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'patrol-cfg-'));
    writeFileSync(join(dir, 'p.yaml'), base);
    expect(loadConfig(join(dir, 'p.yaml')).config.cameras).toHaveLength(1);
  });
});

describe('config loader, environment', () => {
  it('leaves ${…} in comments alone and takes PATROL_LOG_LEVEL only when valid', () => {
    const withComment = `# url: rtsp://\${NOT_SET}@host\n${base}`;
    expect(parseConfig(withComment, 'site.yaml', {}).log.level).toBe('info');
    expect(parseConfig(base, 'site.yaml', { PATROL_LOG_LEVEL: 'warn' }).log.level).toBe('warn');
    expect(parseConfig(base, 'site.yaml', { PATROL_LOG_LEVEL: 'loud' }).log.level).toBe('info');
  });
});

describe('per-violation analysis intervals', () => {
  const cam = (extra: string) => `
cameras:
  - id: c1
    url: rtsp://10.0.0.1/s
    violations: [stall, burning]
    intervalSec: 8
${extra}
detector:
  manifest: m.json
`;
  it('analyzes at the shortest interval among the enabled violations', () => {
    expect(parseConfig(cam('    intervals: { stall: 10, burning: 2 }'), 'f.yaml', {}).cameras[0]!.intervalSec).toBe(2);
    // A type without its own interval uses intervalSec.
    expect(parseConfig(cam('    intervals: { stall: 10 }'), 'f.yaml', {}).cameras[0]!.intervalSec).toBe(8);
    expect(parseConfig(cam(''), 'f.yaml', {}).cameras[0]!.intervalSec).toBe(8);
  });
  it('names an interval set for a violation the camera does not enable', () => {
    expect(() => parseConfig(cam('    intervals: { dumping: 5 }'), 'f.yaml', {})).toThrow(/cameras\[0\]\.intervals: sets an interval for dumping/);
  });
});

describe('camera transport', () => {
  const cam = (url: string, extra = '') => `
cameras:
  - id: c1
    url: ${url}
${extra}
detector:
  manifest: m.json
`;
  it('leaves the transport to resolveTransport when absent, and keeps an explicit one', () => {
    expect(parseConfig(cam('rtsp://10.0.0.1/s'), 'f.yaml', {}).cameras[0]!.transport).toBeUndefined();
    expect(parseConfig(cam('rtsp://10.0.0.1/s', '    transport: native'), 'f.yaml', {}).cameras[0]!.transport).toBe('native');
    expect(parseConfig(cam('rtsp://10.0.0.1/s', '    transport: ffmpeg'), 'f.yaml', {}).cameras[0]!.transport).toBe('ffmpeg');
    // Neither file:// nor rtsps:// nor decode: interval is an error without a transport line: they get ffmpeg.
    for (const [url, extra] of [['file://clip.mp4', ''], ['rtsps://10.0.0.1/s', ''], ['rtsp://10.0.0.1/s', '    decode: interval']] as const) {
      expect(() => parseConfig(cam(url, extra), 'f.yaml', {})).not.toThrow();
    }
  });
  it('names the field and the fix when native is set for a file or rtsps:// camera', () => {
    for (const url of ['file://clip.mp4', 'rtsps://10.0.0.1/s']) {
      const err = errorOf(() => parseConfig(cam(url, '    transport: native'), 'f.yaml', {}));
      expect(err.message).toMatch(/cameras\[0\]\.transport: transport 'native' needs an rtsp:\/\/ url/);
      expect(err.hint).toContain('Set cameras[0].transport to ffmpeg');
    }
  });
  it('refuses decode: interval with native (keyframes only for now)', () => {
    expect(() => parseConfig(cam('rtsp://10.0.0.1/s', '    transport: native\n    decode: interval'), 'f.yaml', {})).toThrow(/cameras\[0\]\.decode: .*keyframes only/);
  });
});
