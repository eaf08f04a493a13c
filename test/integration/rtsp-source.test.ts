import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCameraSource, type CameraSource, type CameraSourceConfig, type CameraSourceOptions } from '../../src/ingest/camera-source.js';
import type { Frame } from '../../src/contracts/frame.js';
import type { SourceStatus } from '../../src/contracts/camera-status.js';
import type { Log } from '../../src/log/log.js';
import { testClip, type TestClip } from '../support/clip.js';
import { freePort } from '../../support/redis.js';
import { TestRtspServer } from '../../support/rtsp.js';

const SIZE = { width: 416, height: 416, pixelFormat: 'rgb24' } as const;
/** Quick retries so outage tests take seconds, not minutes. */
const FAST: Partial<CameraSourceOptions> = {
  backoff: { baseMs: 200, maxMs: 1_000, jitter: 0.2 },
  socketTimeoutMs: 3_000,
  watchdogMs: 8_000,
  analyzeDurationMs: 1_000, // the fixture's SDP carries the parameter sets
};

/** A source with its frames and statuses recorded. */
interface Watched {
  source: CameraSource;
  frames: Frame[];
  statuses: SourceStatus[];
  /** Date.now() when each status arrived. */
  statusTimes: number[];
  logs: string[];
}

function watch(cam: CameraSourceConfig, opts: Partial<CameraSourceOptions> = {}): Watched {
  const logs: string[] = [];
  const record =
    (level: string) =>
    (obj: object, msg?: string): void =>
      void logs.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  const logger: Log = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  const source = createCameraSource(cam, { ...SIZE, ...FAST, logger, ...opts });
  const w: Watched = { source, frames: [], statuses: [], statusTimes: [], logs };
  source.onFrame((f) => void w.frames.push(f));
  source.onStatus((s) => {
    w.statuses.push(s);
    w.statusTimes.push(Date.now());
  });
  source.start();
  return w;
}

/**
 * Every case runs twice: on the default an rtsp:// camera gets (the in-process client) and pinned to ffmpeg,
 * which stays supported for cameras the client cannot read.
 */
const TRANSPORTS = [
  { name: 'default transport (native)', transport: undefined, stalled: /^timed out: camera unreachable or stream stalled/ },
  { name: 'transport: ffmpeg', transport: 'ffmpeg' as const, stalled: /stalled past the socket timeout/ },
];

function rtspCamera(id: string, url: string, transport: CameraSourceConfig['transport']): CameraSourceConfig {
  return { id, url, loop: false, intervalSec: 1, decode: 'keyframe', ...(transport ? { transport } : {}) };
}

/** `seen` is printed on a timeout so a failure under CI load says what the source went through instead. */
async function until(what: string, cond: () => boolean, timeoutMs = 20_000, seen?: Watched): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) {
      const trail = seen ? `\nstatuses: ${JSON.stringify(seen.statuses)}\nlogs:\n${seen.logs.join('\n')}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${trail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sources: CameraSource[] = [];
let clip: TestClip;
let server: TestRtspServer;

beforeAll(async () => {
  clip = await testClip();
  server = await TestRtspServer.start({ mounts: ['cam1', 'cam2'], clip: clip.ts });
});

afterAll(async () => {
  await Promise.all(sources.map((s) => s.stop()));
  await server?.stop();
});

function track(w: Watched): Watched {
  sources.push(w.source);
  return w;
}

describe.each(TRANSPORTS)('RTSP camera source against a real RTSP server, $name', ({ transport, stalled }) => {
  it('decodes keyframes over TCP into letterboxed frames with wall-clock stamps', async () => {
    const w = track(watch(rtspCamera('rtsp-a', server.url('cam1'), transport)));
    await until('three frames', () => w.frames.length >= 3);
    // Which transport ran: ffmpeg is a child process per camera, the in-process client has none.
    if (transport === 'ffmpeg') expect(w.source.pid).toBeGreaterThan(0);
    else expect(w.source.pid).toBeUndefined();
    await w.source.stop();
    expect(w.statuses.slice(0, 2).map((s) => s.state)).toEqual(['connecting', 'live']);
    for (const f of w.frames) {
      expect(f.data.length).toBe(416 * 416 * 3);
      expect([f.sourceWidth, f.sourceHeight, f.contentWidth, f.contentHeight]).toEqual([704, 576, 416, 340]);
      expect(Math.abs(f.timestamp - Date.now())).toBeLessThan(30_000);
    }
    const gaps = w.frames.slice(1).map((f, i) => f.ptsMs - w.frames[i]!.ptsMs);
    if (transport === 'ffmpeg') {
      // Keyframe-only: one frame per 2 s GOP (the interval of 1 s rounds up to it).
      for (const g of gaps) expect(Math.abs(g - 2000)).toBeLessThan(150);
    } else {
      // The 2 s GOP is longer than the 1 s interval: decoded forward from the keyframe, and the status says so.
      expect(w.statuses.some((s) => s.state === 'live' && /GOP 2\.0 s > interval 1 s: decoding forward/.test(s.reason ?? ''))).toBe(true);
      for (const g of gaps) expect(g).toBeGreaterThan(500);
      expect(gaps.filter((g) => g < 1_500).length).toBeGreaterThan(0);
    }
    expect(w.statuses.at(-1)?.state).toBe('stopped');
  });

  it('server killed: its cameras back off and recover after restart, while a file camera keeps going', async () => {
    const a = track(watch(rtspCamera('rtsp-a', server.url('cam1'), transport)));
    const b = track(watch(rtspCamera('rtsp-b', server.url('cam2'), transport)));
    const file = track(watch({ id: 'file-c', url: `file://${clip.ts}`, loop: true, intervalSec: 1, decode: 'keyframe' }));
    await until('all three live with a frame', () => [a, b, file].every((w) => w.source.status.state === 'live' && w.frames.length > 0));

    // A first connect may already have been retried once (a loaded machine's server can be slow to feed its
    // mounts); what matters is the history from the kill on.
    const atKill = a.statuses.length;
    const killedAt = Date.now();
    await server.kill();
    await until('both RTSP cameras in backoff', () => [a, b].every((w) => w.statuses.some((s) => s.state === 'backoff')), 20_000, a);
    const fileFramesAtOutage = file.frames.length;
    const rtspFramesAtOutage = [a.frames.length, b.frames.length];
    // The outage lasts a few refused reconnects, and until the file camera has delivered again.
    await until('RTSP cameras retried at least twice', () => [a, b].every((w) => w.source.status.attempt >= 3), 15_000);
    await until('a file frame during the outage', () => file.frames.length > fileFramesAtOutage, 10_000);
    expect([a, b].every((w) => w.source.status.state !== 'live')).toBe(true);
    for (const w of [a, b]) {
      // The history, not the current state: a poll can land while a retry is already connecting.
      const s = w.statuses.filter((x) => x.state === 'backoff').at(-1)!;
      expect(s.reason).toMatch(/connection refused|stream ended|end of file|timed out/i);
      expect(s.retryAt).toBeGreaterThan(killedAt);
    }
    expect(file.source.status.state).toBe('live'); // the file camera never noticed

    await server.restart();
    await until('both RTSP cameras live again with new frames', () =>
      [a, b].every((w, i) => w.source.status.state === 'live' && w.frames.length > rtspFramesAtOutage[i]!),
    );
    const states = a.statuses.map((s) => s.state);
    expect(states[0]).toBe('connecting');
    expect(states[atKill - 1]).toBe('live');
    const firstBackoff = states.indexOf('backoff', atKill);
    expect(firstBackoff).toBeGreaterThanOrEqual(atKill);
    expect(states.at(-1)).toBe('live');
    expect(states.slice(firstBackoff)).toContain('connecting');
    expect(file.source.status.state).toBe('live');
    await Promise.all([a, b, file].map((w) => w.source.stop()));
  }, 60_000);

  it('an unreachable camera (closed port) backs off with a clear reason and growing delays', async () => {
    const port = await freePort(); // free, so nothing listens there
    const w = track(watch(rtspCamera('nowhere', `rtsp://admin:s3cret@127.0.0.1:${port}/live`, transport), { backoff: { baseMs: 100, maxMs: 5_000, jitter: 0 } }));
    await until('three failed attempts', () => w.source.status.attempt >= 3);
    await w.source.stop();
    const backoffAt = w.statuses.flatMap((s, i) => (s.state === 'backoff' ? [i] : []));
    const backoffs = backoffAt.map((i) => w.statuses[i]!);
    expect(backoffs.length).toBeGreaterThanOrEqual(3);
    expect(backoffs[0]!.reason).toMatch(/^connection refused: camera or server down, or wrong port/);
    expect(backoffs[0]!.reason).toContain(`rtsp://***@127.0.0.1:${port}/live`);
    expect(backoffs.map((s) => s.attempt).slice(0, 3)).toEqual([1, 2, 3]);
    // Without jitter: 100, 200, 400 ms after each failure.
    const delays = backoffAt.slice(0, 3).map((i) => w.statuses[i]!.retryAt! - w.statusTimes[i]!);
    delays.forEach((d, i) => expect(Math.abs(d - [100, 200, 400][i]!)).toBeLessThan(50));
    expect(w.frames).toHaveLength(0);
    expect(w.logs.join('\n')).not.toContain('s3cret');
  });

  it('a stalled server (accepts, never answers) is detected by the socket timeout', async () => {
    const { port, close } = await silentServer();
    try {
      const w = track(watch(rtspCamera('stalled', `rtsp://127.0.0.1:${port}/live`, transport), { socketTimeoutMs: 1_000, watchdogMs: 30_000 }));
      // The history, not the current state: a poll can land after the retry has already moved on to connecting.
      await until('backoff', () => w.statuses.some((s) => s.state === 'backoff' || s.state === 'failed'), 30_000, w);
      await w.source.stop();
      expect(w.source.status.state).toBe('stopped');
      expect(w.statuses.find((s) => s.state === 'backoff')?.reason).toMatch(stalled);
    } finally {
      await close();
    }
  });

  it('the watchdog kills a stream that delivers no frame in time', async () => {
    const { port, close } = await silentServer();
    try {
      const w = track(watch(rtspCamera('slow', `rtsp://127.0.0.1:${port}/live`, transport), { socketTimeoutMs: 60_000, watchdogMs: 1_000 }));
      await until('backoff', () => w.statuses.some((s) => s.state === 'backoff' || s.state === 'failed'), 30_000, w);
      await w.source.stop();
      expect(w.statuses.find((s) => s.state === 'backoff')?.reason).toMatch(/^no frame for 1 s \(watchdog\)/);
    } finally {
      await close();
    }
  });
});

describe.each(TRANSPORTS)('RTSP camera with wrong credentials, $name', ({ transport }) => {
  let secured: TestRtspServer;
  beforeAll(async () => {
    secured = await TestRtspServer.start({ mounts: ['cam'], clip: clip.ts, auth: 'viewer:right-pass' });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it('is reported failed (401), redacted, retried at the maximum backoff; the right ones go live', async () => {
    const bad = track(watch(rtspCamera('bad-auth', secured.url('cam', 'viewer:wrong-pass'), transport), { backoff: { baseMs: 100, maxMs: 30_000, jitter: 0 } }));
    const good = track(watch(rtspCamera('good-auth', secured.url('cam', 'viewer:right-pass'), transport)));
    await until('bad camera failed', () => bad.source.status.state === 'failed');
    await until('good camera has a frame', () => good.frames.length > 0);
    const i = bad.statuses.findIndex((s) => s.state === 'failed');
    const failed = bad.statuses[i]!;
    expect(failed.reason).toMatch(/^authentication failed \(401\)/);
    expect(failed.retryAt! - bad.statusTimes[i]!).toBeGreaterThan(29_000); // maxMs, not the 100 ms base
    for (const text of [JSON.stringify(bad.statuses), ...bad.logs]) {
      expect(text).not.toContain('wrong-pass');
    }
    await Promise.all([bad.source.stop(), good.source.stop()]);
  });
});

/** A TCP server that accepts connections and never says a word: a hung camera. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  if (!addr || typeof addr !== 'object') throw new Error('no address');
  return {
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}
