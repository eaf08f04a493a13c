/**
 * Live view: node-rtsp-stream behind the authenticated WebSocket proxy, tested with a raw WebSocket
 * client (the browser player, jsmpeg, is not bundled). The camera is a file source played by ffmpeg.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { reviewFixture, TEST_CAMERAS, type ReviewFixture } from '../e2e/harness.js';
import { testClip } from '../e2e/seed.js';
import { LiveView } from '../../src/review/live-view.js';
import type { CameraConfig } from '../../src/config/schema.js';

const haveFfmpeg = (() => {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!haveFfmpeg) console.warn('[review-live-view] skipped: no ffmpeg on PATH');

interface WsResult {
  status: number;
  body?: string;
  socket?: Socket;
  frames: Buffer[];
}

/** A minimal WebSocket client: handshake, then unmasked server frames collected as they arrive. */
function wsConnect(base: string, path: string, headers: Record<string, string> = {}): Promise<WsResult> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'), ...headers },
    });
    req.on('upgrade', (res, socket, head) => {
      const frames: Buffer[] = [];
      let buf = head;
      const parse = () => {
        for (;;) {
          if (buf.length < 2) return;
          let len = buf[1]! & 0x7f;
          let off = 2;
          if (len === 126) {
            if (buf.length < 4) return;
            len = buf.readUInt16BE(2);
            off = 4;
          } else if (len === 127) {
            if (buf.length < 10) return;
            len = Number(buf.readBigUInt64BE(2));
            off = 10;
          }
          if (buf.length < off + len) return;
          frames.push(buf.subarray(off, off + len));
          buf = buf.subarray(off + len);
        }
      };
      parse();
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        parse();
      });
      resolve({ status: res.statusCode!, socket, frames });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, frames: [] }));
    });
    req.on('error', reject);
    req.end();
  });
}

const until = async (cond: () => boolean, ms = 15_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe.skipIf(!haveFfmpeg)('live view', () => {
  let fx: ReviewFixture;
  let liveView: LiveView;
  let base: string;
  let cookie: string;

  beforeAll(async () => {
    const tmp = join(process.cwd(), 'node_modules/.cache/patrol-test');
    testClip(tmp);
    const cameras: CameraConfig[] = [
      ...TEST_CAMERAS,
      { id: 'cam-file', name: 'file', url: pathToFileURL(join(tmp, 'testsrc2-4s.mp4')).href, enabled: true, loop: true, zones: [], violations: ['stall'], intervalSec: 5, decode: 'keyframe' },
      { id: 'cam-dead', name: 'dead', url: 'rtsp://user:topsecret@127.0.0.1:9/none', enabled: true, loop: true, zones: [], violations: ['stall'], intervalSec: 5, decode: 'keyframe' },
    ];
    liveView = new LiveView({ cameras, width: 320, startTimeoutMs: 20_000 });
    fx = await reviewFixture({ seed: false, cameras, liveView });
    base = await fx.app.listen({ host: '127.0.0.1', port: 0 });
    cookie = await fx.login('operator');
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
    await liveView?.close();
  });

  it('refuses anonymous viewers, other origins and unknown cameras before starting anything', async () => {
    expect((await wsConnect(base, '/api/cameras/cam-file/live')).status).toBe(401);
    expect((await wsConnect(base, '/api/cameras/cam-file/live', { cookie: 'patrol_session=forged' })).status).toBe(401);
    expect((await wsConnect(base, '/api/cameras/cam-file/live', { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await wsConnect(base, '/api/cameras/nope/live', { cookie })).status).toBe(404);
    expect((await wsConnect(base, '/api/other', { cookie })).status).toBe(404);
    expect(liveView.active()).toEqual({});
  });

  it('lists the camera as live-viewable, and a plain GET explains it needs a WebSocket', async () => {
    const cams = (await fx.app.inject({ url: '/api/cameras', headers: { cookie } })).json().cameras;
    expect(cams.find((c: { id: string }) => c.id === 'cam-file').liveView).toBe(true);
    expect((await fx.app.inject({ url: '/api/cameras/cam-file/live', headers: { cookie } })).statusCode).toBe(426);
  });

  it('starts the stream for the first viewer on loopback, shares it, and stops it when the last one leaves', async () => {
    const a = await wsConnect(base, '/api/cameras/cam-file/live', { cookie, origin: base });
    expect(a.status).toBe(101);
    expect(liveView.address('cam-file')).toMatchObject({ address: '127.0.0.1' });
    await until(() => a.frames.length >= 3);
    const header = a.frames[0]!;
    expect(header.subarray(0, 4).toString()).toBe('jsmp');
    expect([header.readUInt16BE(4), header.readUInt16BE(6)]).toEqual([320, 180]);
    // MPEG-TS packets start with the sync byte 0x47.
    expect(a.frames[1]![0]).toBe(0x47);

    const b = await wsConnect(base, '/api/cameras/cam-file/live', { cookie });
    expect(b.status).toBe(101);
    await until(() => b.frames.length >= 2);
    expect(liveView.active()).toEqual({ 'cam-file': 2 });
    const port = liveView.address('cam-file')!.port;
    // Another user on the machine can reach the loopback port, but not without the stream's secret path.
    const direct = `http://127.0.0.1:${port}`;
    for (const path of ['/', '/api/cameras/cam-file/live', `/${'0'.repeat(64)}`]) expect((await wsConnect(direct, path)).status).toBe(401);
    expect(liveView.active()).toEqual({ 'cam-file': 2 });

    a.socket!.destroy();
    await until(() => liveView.active()['cam-file'] === 1);
    b.socket!.destroy();
    await until(() => Object.keys(liveView.active()).length === 0);
    // The loopback server is gone with the stream.
    await until(() => false, 300).catch(() => undefined);
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  }, 60_000);

  it('answers 502 for a camera that cannot be reached, without its credentials', async () => {
    const r = await wsConnect(base, '/api/cameras/cam-dead/live', { cookie });
    expect(r.status).toBe(502);
    expect(r.body).not.toContain('topsecret');
    expect(JSON.parse(r.body!)).toMatchObject({ error: 'live_view_failed' });
    expect(liveView.active()).toEqual({});
  }, 30_000);
});
