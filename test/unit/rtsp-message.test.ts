import { describe, expect, it } from 'vitest';
import { RtspMessageParser, type RtspMessage } from '../../src/ingest/rtsp/message.js';

const response = (cseq: number, body = ''): Buffer =>
  Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Digest realm="a"\r\nwww-authenticate: Basic realm="a"\r\n${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`);
const frame = (channel: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from([0x24, channel, payload.length >> 8, payload.length & 0xff]), payload]);

/** Everything a parser makes of `stream` when fed in the given chunk sizes. */
function parseChunked(stream: Buffer, sizes: number[]): RtspMessage[] {
  const p = new RtspMessageParser();
  const out: RtspMessage[] = [];
  let pos = 0;
  let i = 0;
  while (pos < stream.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]!);
    // Interleaved payloads are views valid until the next push: copy, as a consumer that keeps them would.
    for (const m of p.push(stream.subarray(pos, pos + n))) out.push(m.kind === 'interleaved' ? { ...m, payload: Buffer.from(m.payload) } : m);
    pos += n;
  }
  return out;
}

describe('RTSP message parser', () => {
  it('a frame whose length lies (not followed by another message) is skipped, and the real frames it covered are recovered', () => {
    const real = Array.from({ length: 60 }, (_, i) => frame(0, Buffer.alloc(1400, i + 1)));
    // `$`, channel 0, 65535 bytes announced, 16 bytes of junk, then the stream goes on inside the lie.
    const stream = Buffer.concat([Buffer.from([0x24, 0, 0xff, 0xff]), Buffer.alloc(16, 0x11), ...real, response(7)]);
    for (const sizes of [[stream.length], [1400], [65_536, 100]]) {
      const msgs = parseChunked(stream, sizes);
      const frames = msgs.filter((m) => m.kind === 'interleaved');
      expect(frames.map((m) => (m.kind === 'interleaved' ? m.payload[0] : -1))).toEqual(real.map((_, i) => i + 1));
      expect(msgs.at(-1)).toMatchObject({ kind: 'response', status: 200 });
    }
    // A stray CRLF after a real frame (some servers) keeps the frame.
    const crlf = parseChunked(Buffer.concat([frame(0, Buffer.alloc(10, 1)), Buffer.from('\r\n'), frame(1, Buffer.alloc(4, 2))]), [100]);
    expect(crlf.map((m) => m.kind)).toEqual(['interleaved', 'interleaved']);
  });


  const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\n';
  const stream = Buffer.concat([response(1), frame(0, Buffer.from([0x80, 0x60, 1, 2])), response(2, sdp), frame(1, Buffer.alloc(0)), frame(0, Buffer.alloc(1500, 7))]);

  it('parses responses with bodies, repeated headers and interleaved frames, whatever the chunking', () => {
    for (const sizes of [[stream.length], [1], [3, 7, 2], [100], [1499, 1]]) {
      const msgs = parseChunked(stream, sizes);
      expect(msgs.map((m) => m.kind)).toEqual(['response', 'interleaved', 'response', 'interleaved', 'interleaved']);
      const [r1, f1, r2, f2, f3] = msgs;
      if (r1?.kind !== 'response' || r2?.kind !== 'response' || f1?.kind !== 'interleaved' || f2?.kind !== 'interleaved' || f3?.kind !== 'interleaved') throw new Error('kinds');
      expect(r1.status).toBe(200);
      expect(r1.headers.get('CSEQ')).toBe('1');
      expect(r1.headers.all.get('www-authenticate')).toEqual(['Digest realm="a"', 'Basic realm="a"']);
      expect(r2.body.toString()).toBe(sdp);
      expect(f1.channel).toBe(0);
      expect([...f1.payload]).toEqual([0x80, 0x60, 1, 2]);
      expect(f2.payload.length).toBe(0);
      expect(f3.payload.length).toBe(1500);
    }
  });

  it('parses requests from the server and tolerates bare LF line ends', () => {
    const p = new RtspMessageParser();
    const msgs = p.push(Buffer.from('GET_PARAMETER rtsp://h/x RTSP/1.0\nCSeq: 9\n\nRTSP/1.0 454 Session Not Found\r\nCSeq: 3\r\n\r\n'));
    expect(msgs).toMatchObject([
      { kind: 'request', method: 'GET_PARAMETER', uri: 'rtsp://h/x' },
      { kind: 'response', status: 454, reason: 'Session Not Found' },
    ]);
  });

  it('skips garbage to the next message and counts it', () => {
    const p = new RtspMessageParser();
    const junk = Buffer.from([0x00, 0xff, 0x10, 0x20, 0x0a, 0x61]);
    const msgs = p.push(Buffer.concat([junk, response(5)]));
    expect(msgs).toMatchObject([{ kind: 'response', status: 200 }]);
    expect(p.stats.garbageBytes).toBe(junk.length);
  });

  it('drops a header block over its cap instead of buffering it', () => {
    const p = new RtspMessageParser({ maxHeaderBytes: 256 });
    const huge = Buffer.from(`RTSP/1.0 200 OK\r\nX: ${'a'.repeat(10_000)}\r\n\r\n`);
    for (let i = 0; i < huge.length; i += 100) {
      p.push(huge.subarray(i, i + 100));
      expect(p.bufferedBytes).toBeLessThanOrEqual(356);
    }
    expect(p.stats.droppedMessages).toBe(1);
    expect(p.push(response(6))).toMatchObject([{ kind: 'response' }]);
  });

  it('drops a body over its cap', () => {
    const p = new RtspMessageParser({ maxBodyBytes: 10 });
    const msgs = p.push(Buffer.concat([Buffer.from('RTSP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\n'), response(7)]));
    expect(p.stats.droppedMessages).toBe(1);
    expect(msgs).toMatchObject([{ kind: 'response', headers: expect.anything() }]);
  });

  it('waits for a message split anywhere, including in "RTSP/"', () => {
    const p = new RtspMessageParser();
    expect(p.push(Buffer.from('RT'))).toEqual([]);
    expect(p.push(Buffer.from('SP/1.0 200 OK\r\nCSeq: 1\r\n'))).toEqual([]);
    expect(p.push(Buffer.from('\r\n'))).toMatchObject([{ kind: 'response', status: 200 }]);
    expect(p.stats.garbageBytes).toBe(0);
  });
});
