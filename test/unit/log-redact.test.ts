import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { redactCredentials } from '../../src/log/redact.js';
import { createLogger } from '../../src/log/logger.js';

describe('credential redaction', () => {
  it('removes user:pass from URLs inside any text', () => {
    expect(redactCredentials('connect rtsp://admin:hunter2@10.0.0.5:554/s1 failed')).toBe('connect rtsp://***@10.0.0.5:554/s1 failed');
    expect(redactCredentials('redis://:pw@127.0.0.1:6379')).toBe('redis://***@127.0.0.1:6379');
    expect(redactCredentials('rtsp://10.0.0.5/s1')).toBe('rtsp://10.0.0.5/s1');
  });

  it('keeps credentials out of every log line: message, fields and errors', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (d: Buffer) => chunks.push(d.toString()));
    const log = createLogger({ destination: out, pretty: false });
    log.info({ url: 'rtsp://u:p4ss@cam/1', nested: { list: ['rtsp://u:p4ss@cam/2'] } }, 'opening rtsp://u:p4ss@cam/1');
    log.error({ err: new Error('401 from rtsp://u:p4ss@cam/1') }, 'camera failed');
    await new Promise((r) => setImmediate(r));
    const text = chunks.join('');
    expect(text).toContain('rtsp://***@cam/1');
    expect(text).not.toContain('p4ss');
  });
});
