import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { errorOf } from '../support/patrol-error.js';

const cam = (url: string, extra = '') => `
cameras:
  - id: c1
    url: ${url}
${extra}
detector:
  manifest: m.json
`;

describe('cameras[].rtspTransport', () => {
  it('absent (tcp) unless set; udp is taken on either transport of an rtsp:// camera', () => {
    expect(parseConfig(cam('rtsp://10.0.0.1/s'), 'f.yaml', {}).cameras[0]!.rtspTransport).toBeUndefined();
    expect(parseConfig(cam('rtsp://10.0.0.1/s', '    rtspTransport: udp'), 'f.yaml', {}).cameras[0]!.rtspTransport).toBe('udp');
    expect(parseConfig(cam('rtsp://10.0.0.1/s', '    rtspTransport: udp\n    transport: ffmpeg'), 'f.yaml', {}).cameras[0]!.rtspTransport).toBe('udp');
    expect(parseConfig(cam('rtsp://10.0.0.1/s', '    rtspTransport: tcp\n    transport: native'), 'f.yaml', {}).cameras[0]!.rtspTransport).toBe('tcp');
  });

  it('names the field and the fix when udp is set for a file or rtsps:// camera, or the value is unknown', () => {
    for (const url of ['file://clip.mp4', 'rtsps://10.0.0.1/s']) {
      const err = errorOf(() => parseConfig(cam(url, '    rtspTransport: udp'), 'f.yaml', {}));
      expect(err.message).toMatch(/cameras\[0\]\.rtspTransport: rtspTransport 'udp' needs an rtsp:\/\/ url/);
      expect(err.hint).toContain('Remove rtspTransport from cameras[0]');
    }
    expect(() => parseConfig(cam('rtsp://10.0.0.1/s', '    rtspTransport: multicast'), 'f.yaml', {})).toThrow(/rtspTransport/);
  });
});
