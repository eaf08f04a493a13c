import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { NalDepacketizer } from '../../src/ingest/rtsp/access-unit.js';
import { H264Depacketizer } from '../../src/ingest/rtsp/h264-depacketizer.js';
import { H265Depacketizer } from '../../src/ingest/rtsp/h265-depacketizer.js';
import { DEFAULT_MESSAGE_LIMITS, RtspMessageParser } from '../../src/ingest/rtsp/message.js';
import { RtspSession } from '../../src/ingest/rtsp/session.js';
import type { RtspError } from '../../src/ingest/rtsp/errors.js';
import { prng } from '../support/prng.js';

const int = (r: () => number, n: number): number => Math.floor(r() * n);
const bytes = (r: () => number, n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(r, 256)));

/** Flips, inserts, deletes and truncates at random: valid input gone slightly wrong is the hard case. */
function mutate(r: () => number, b: Buffer): Buffer {
  let out = Buffer.from(b);
  const edits = 1 + int(r, 4);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = int(r, out.length);
    const op = int(r, 4);
    if (op === 0) out[at] = int(r, 256);
    else if (op === 1) out = Buffer.concat([out.subarray(0, at), bytes(r, 1 + int(r, 8)), out.subarray(at)]);
    else if (op === 2) out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + int(r, 8))]);
    else out = out.subarray(0, at);
  }
  return out;
}

function validStream(r: () => number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 20; i++) {
    if (r() < 0.3) {
      const body = 'v=0\r\nm=video 0 RTP/AVP 96\r\n'.repeat(int(r, 3));
      parts.push(Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: ${i}\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    } else {
      const payload = bytes(r, int(r, 1500));
      parts.push(Buffer.from([0x24, int(r, 2), payload.length >> 8, payload.length & 0xff]), payload);
    }
  }
  return Buffer.concat(parts);
}

const PARSER_BOUND = DEFAULT_MESSAGE_LIMITS.maxHeaderBytes + DEFAULT_MESSAGE_LIMITS.maxBodyBytes + 4 + 0xffff;

describe('fuzz: RTSP message parser', () => {
  it('takes 3000 random and mutated streams in random chunks without throwing, its buffer bounded', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const r = prng(seed);
      const kind = seed % 3;
      const input = kind === 0 ? bytes(r, int(r, 4000)) : kind === 1 ? mutate(r, validStream(r)) : validStream(r);
      const p = new RtspMessageParser();
      let pos = 0;
      try {
        while (pos < input.length) {
          const n = 1 + int(r, 2000);
          const msgs = p.push(input.subarray(pos, pos + n));
          for (const m of msgs) if (m.kind === 'interleaved') expect(m.payload.length).toBeLessThanOrEqual(0xffff);
          expect(p.bufferedBytes).toBeLessThanOrEqual(PARSER_BOUND);
          pos += n;
        }
        if (kind === 2) expect(p.stats.garbageBytes).toBe(0);
        // Whatever came before, the parser finds its way back to a real response.
        p.push(Buffer.alloc(PARSER_BOUND, 0));
        const after = p.push(Buffer.from('\r\nRTSP/1.0 200 OK\r\nCSeq: 99\r\n\r\n'));
        expect(after.some((m) => m.kind === 'response' && m.headers.get('cseq') === '99')).toBe(true);
      } catch (e) {
        throw new Error(`seed ${seed}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  });
});

/** Plausible RTP payloads for the codec, with random bits: NAL headers of every type, STAP/AP, FU. */
function payloadFor(r: () => number, codec: 'h264' | 'h265'): Buffer {
  const body = bytes(r, int(r, 3000));
  if (codec === 'h264') return Buffer.concat([Buffer.from([int(r, 256) & 0x7f, int(r, 256)]), body]);
  return Buffer.concat([Buffer.from([(int(r, 64) << 1) | int(r, 2), int(r, 256), int(r, 256)]), body]);
}

describe('fuzz: depacketizers', () => {
  for (const codec of ['h264', 'h265'] as const) {
    it(`${codec}: 200 streams of 100 random and mutated packets, no exception, memory bounded`, () => {
      const max = 64 * 1024;
      for (let seed = 1; seed <= 200; seed++) {
        const r = prng(seed * 7919);
        let emitted = 0;
        const onAccessUnit = (au: { data: Buffer }): void => {
          emitted++;
          expect(au.data.subarray(0, 4)).toEqual(Buffer.from([0, 0, 0, 1]));
        };
        const d: NalDepacketizer = codec === 'h264' ? new H264Depacketizer({ onAccessUnit, maxAccessUnitBytes: max }) : new H265Depacketizer({ onAccessUnit, maxAccessUnitBytes: max });
        let ts = 0;
        try {
          for (let i = 0; i < 100; i++) {
            if (r() < 0.2) ts += 3600;
            const payload = r() < 0.1 ? bytes(r, int(r, 40)) : r() < 0.5 ? mutate(r, payloadFor(r, codec)) : payloadFor(r, codec);
            d.push({ payload, timestamp: ts, marker: r() < 0.15, lost: r() < 0.05 ? 1 + int(r, 3) : 0 });
            expect(d.bufferedBytes).toBeLessThanOrEqual(max);
          }
        } catch (e) {
          throw new Error(`${codec} seed ${seed}: ${e instanceof Error ? e.message : String(e)}`);
        }
        const s = d.stats;
        expect(s.accessUnits).toBe(emitted);
      }
    });
  }
});

describe('fuzz: a session against a server that sends garbage', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function serve(onConnection: (s: Socket) => void): Promise<number> {
    server = createServer(onConnection);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    if (!addr || typeof addr === 'string') throw new Error('no port');
    return addr.port;
  }

  async function ended(session: RtspSession): Promise<RtspError | undefined> {
    let error: RtspError | undefined;
    session.on('error', (e) => (error = e));
    await new Promise<void>((resolve) => session.on('state', (s) => s === 'closed' && resolve()));
    return error;
  }

  it('ends with a protocol error for an HTTP server', async () => {
    const port = await serve((s) => {
      s.on('error', () => {});
      s.resume();
      s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    const session = new RtspSession({ url: `rtsp://127.0.0.1:${port}/x` });
    const done = ended(session);
    session.start();
    expect(await done).toMatchObject({ kind: 'protocol' });
  });

  it('ends with an error, not an exception, for random bytes instead of RTSP', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = prng(seed);
      const port = await serve((s) => {
        s.on('error', () => {});
        s.resume(); // read the client's requests, or its close is never seen and server.close() waits
        s.write(bytes(r, 8000));
      });
      const session = new RtspSession({ url: `rtsp://127.0.0.1:${port}/x`, requestTimeoutMs: 1_000 });
      const done = ended(session);
      session.start();
      const err = await done;
      expect(['protocol', 'timeout', 'closed']).toContain(err?.kind);
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    }
  });

  it('survives garbage interleaved data after PLAY, counting it, and ends on 454 to a keep-alive', async () => {
    const r = prng(42);
    const port = await serve((s) => {
      s.on('error', () => {});
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
          const req = buf.slice(0, end);
          buf = buf.slice(end + 4);
          const method = req.split(' ')[0];
          const cseq = /CSeq: (\d+)/i.exec(req)?.[1];
          const head = `CSeq: ${cseq}\r\n`;
          if (method === 'OPTIONS' && req.includes('Session:')) s.write(`RTSP/1.0 454 Session Not Found\r\n${head}\r\n`);
          else if (method === 'OPTIONS') s.write(`RTSP/1.0 200 OK\r\n${head}Public: DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n`);
          else if (method === 'DESCRIBE') {
            const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n';
            s.write(`RTSP/1.0 200 OK\r\n${head}Content-Base: rtsp://127.0.0.1/x/\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`);
          } else if (method === 'SETUP') s.write(`RTSP/1.0 200 OK\r\n${head}Session: 1234;timeout=2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n`);
          else if (method === 'PLAY') {
            s.write(`RTSP/1.0 200 OK\r\n${head}\r\n`);
            for (let i = 0; i < 300; i++) {
              const rtp = Buffer.concat([Buffer.from([0x80, 96 | (r() < 0.3 ? 0x80 : 0), 0, i & 0xff, 0, 0, (i >> 2) & 0xff, 0, 0, 0, 0, 1]), mutate(r, payloadFor(r, 'h264'))]);
              s.write(Buffer.concat([Buffer.from([0x24, r() < 0.9 ? 0 : int(r, 4), rtp.length >> 8, rtp.length & 0xff]), rtp]));
            }
          }
        }
      });
    });
    const session = new RtspSession({ url: `rtsp://127.0.0.1:${port}/x`, dataTimeoutMs: 5_000 });
    const done = ended(session);
    session.start();
    const err = await done;
    expect(err).toMatchObject({ kind: 'session_not_found', status: 454 });
    expect(session.stats.rtpPackets).toBeGreaterThan(200);
    expect(session.stats.keepAlives).toBe(1);
    expect(session.bufferedBytes).toBeLessThan(100_000);
  });
});
