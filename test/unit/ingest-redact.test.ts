import { describe, expect, it } from 'vitest';
import { redactCredentials as redactUrl } from '../../src/log/redact.js';

describe('redactUrl', () => {
  it('hides user and password in a URL', () => {
    expect(redactUrl('rtsp://admin:hunter2@10.0.0.5:554/Streaming/101')).toBe('rtsp://***@10.0.0.5:554/Streaming/101');
    expect(redactUrl('rtsps://admin@cam.example/x')).toBe('rtsps://***@cam.example/x');
  });

  it('hides credentials inside ffmpeg error lines, every occurrence', () => {
    const line = 'rtsp://u:x@127.0.0.1:8554/cam2: Server returned 401 Unauthorized; retry rtsp://u:x@127.0.0.1:8554/cam3';
    expect(redactUrl(line)).toBe('rtsp://***@127.0.0.1:8554/cam2: Server returned 401 Unauthorized; retry rtsp://***@127.0.0.1:8554/cam3');
  });

  it('hides a password that contains a raw @ or :', () => {
    expect(redactUrl('rtsp://admin:p@ss:w0rd@10.0.0.5/1')).toBe('rtsp://***@10.0.0.5/1');
  });

  it('hides secret query parameters and keeps the rest', () => {
    expect(redactUrl('rtsp://10.0.0.5/live?channel=1&password=abc&user=admin')).toBe('rtsp://10.0.0.5/live?channel=1&password=***&user=admin');
    expect(redactUrl('http://x/y?token=t0k&x=1')).toBe('http://x/y?token=***&x=1');
  });

  it('leaves text without credentials alone', () => {
    for (const s of ['rtsp://10.0.0.5:554/s1', 'file://fixtures/a.ts', 'user@example.com wrote', 'Connection refused', '']) expect(redactUrl(s)).toBe(s);
  });
});
