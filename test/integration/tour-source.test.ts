import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCameraSource, type CameraSource, type CameraSourceConfig } from '../../src/ingest/camera-source.js';
import { KeyframeDecoderPool } from '../../src/decode/decoder-pool.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import type { Frame } from '../../src/contracts/frame.js';
import type { SourceStatus, TourVisitReport } from '../../src/contracts/camera-status.js';
import { TourRunner } from '../../src/ingest/tour-runner.js';
import { RtspSession, type RtspSessionOptions } from '../../src/ingest/rtsp/session.js';
import type { SessionLike } from '../../src/ingest/rtsp-supervisor.js';
import { testClip } from '../support/clip.js';
import { TestRtspServer } from '../../support/rtsp.js';

const ffmpeg = resolveFfmpeg().path;
const SIZE = { width: 416, height: 416, pixelFormat: 'bgr24' } as const;
const MOUNTS = ['t1', 't2', 't3', 't4'];
const SLOTS = 2;

interface Watched {
  source: CameraSource;
  frames: Frame[];
  statuses: SourceStatus[];
}

/** The server's side of the established TCP connections on its port (both ends are on this host). */
function serverConnections(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[1]!.endsWith(`:${hex}`) && cols[3] === '01') n++;
    }
  }
  return n;
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000, detail: () => unknown = () => ''): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}\n${JSON.stringify(detail(), null, 1)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let server: TestRtspServer;
const pool = new KeyframeDecoderPool({ ffmpegPath: ffmpeg, ...SIZE });
const sources: CameraSource[] = [];
/** Sessions the tour opened, per camera URL, and how many are open now. */
const opened = new Map<string, number>();
let open = 0;
let maxOpen = 0;
const visits: TourVisitReport[] = [];
let runner: TourRunner;

beforeAll(async () => {
  const clip = await testClip();
  server = await TestRtspServer.start({ mounts: MOUNTS, clip: clip.ts });
  runner = new TourRunner({
    pool,
    maxVisits: SLOTS,
    visitTimeoutMs: 5_000,
    missTolerance: 0.5,
    backoff: { baseMs: 500, maxMs: 10_000, jitter: 0 },
    onVisit: (r) => visits.push(r),
    // Counts the tour's connections: every visit opens one and closes it before the slot is free.
    createSession: (o: RtspSessionOptions, log): SessionLike => {
      const s = new RtspSession(o, log);
      opened.set(o.url, (opened.get(o.url) ?? 0) + 1);
      open++;
      maxOpen = Math.max(maxOpen, open);
      s.on('state', (st) => st === 'closed' && open--);
      return s;
    },
  });
});

afterAll(async () => {
  await Promise.all(sources.map((s) => s.stop()));
  await runner?.close();
  await pool.close();
  await server?.stop();
});

function tourCamera(id: string, url: string, revisitSec: number, intervalSec = 1): CameraSourceConfig {
  return { id, url, loop: false, intervalSec, decode: 'keyframe', transport: 'native', tour: { revisitSec, priority: 1, hours: [] } };
}

function watch(cam: CameraSourceConfig): Watched {
  const source = createCameraSource(cam, { ...SIZE, tour: runner, backoff: { baseMs: 500, maxMs: 4_000, jitter: 0 }, socketTimeoutMs: 3_000 });
  sources.push(source);
  const w: Watched = { source, frames: [], statuses: [] };
  source.onFrame((f) => void w.frames.push(f));
  source.onStatus((s) => void w.statuses.push(s));
  source.start();
  return w;
}

describe('tour mode against GStreamer: visit in turn, connect, first keyframe, disconnect', () => {
  it('visits every camera repeatedly with at most the slots connected; a missing mount backs off alone; a held camera stays connected until released', async () => {
    const cams = MOUNTS.map((m) => watch(tourCamera(`tour-${m}`, server.url(m), 4)));
    const missingUrl = `rtsp://127.0.0.1:${server.port}/no-such-mount`;
    const missing = watch(tourCamera('tour-missing', missingUrl, 4));
    // The server's count, as seen in two samples 50 ms apart: a closed connection leaves ESTABLISHED when the kernel
    // has handled its FIN, which a loaded machine can delay past the next visit's connect by a few ms (seen once: 3
    // against 2 slots); a connection left open stays in every sample after it.
    let maxServerSide = 0;
    let previous = 0;
    const sampler = setInterval(() => {
      const now = serverConnections(server.port);
      maxServerSide = Math.max(maxServerSide, Math.min(now, previous));
      previous = now;
    }, 50);
    try {
      await until('three frames from every toured camera', () => cams.every((w) => w.frames.length >= 3), 45_000, () => ({ visits: visits.slice(-12), statuses: cams.map((w) => w.source.status) }));
    } finally {
      clearInterval(sampler);
    }
    for (const w of cams) {
      const f = w.frames.at(-1)!;
      expect([f.width, f.height, f.contentWidth, f.contentHeight, f.sourceWidth, f.sourceHeight]).toEqual([416, 416, 416, 340, 704, 576]);
      expect(new Set(f.data.subarray(0, 340 * 416 * 3)).size).toBeGreaterThan(50);
      // One visit, one connection: a new session per frame, closed before the next.
      expect(opened.get(server.url(w.source.cameraId.slice('tour-'.length)))).toBeGreaterThanOrEqual(w.frames.length);
      const s = w.source.status;
      expect(s.state).toBe('live');
      expect(s.tour).toMatchObject({ revisitSec: 4, held: false });
      expect(s.tour!.visits).toBeGreaterThanOrEqual(3);
      expect(s.tour!.nextDueAt).toBeGreaterThan(s.tour!.lastVisitAt!);
      // Revisited on the interval, give or take the wait for the next keyframe (GOP 2 s) and a slot — or, where a
      // loaded machine made the visits slower than the slots allow (the suite runs files in parallel), the runner
      // said so: a visit in that gap counted as a miss or failed. Lateness is never silent.
      const mine = visits.filter((v) => v.cameraId === w.source.cameraId);
      w.frames.slice(1).forEach((fr, i) => {
        const from = w.frames[i]!.timestamp;
        const gap = fr.timestamp - from;
        if (gap < 4_000 + 2_000 + 2_500) return;
        const reported = mine.filter((v) => v.startedAt > from && v.startedAt <= fr.timestamp && (v.miss || !v.ok));
        expect(reported.length, `a ${gap} ms gap with no miss or failure reported; visits ${JSON.stringify(mine)}`).toBeGreaterThan(0);
      });
    }
    expect(maxOpen).toBeLessThanOrEqual(SLOTS);
    // The server's side agrees: never more connections than slots (TEARDOWN and close after each keyframe).
    expect(maxServerSide).toBeLessThanOrEqual(SLOTS);
    await until('no connection left open between visits', () => open === 0 || open <= SLOTS, 5_000);

    // The missing mount: failed (404) with the fix, retried only after its backoff, never a frame.
    expect(missing.frames).toHaveLength(0);
    const failed = missing.statuses.find((s) => s.state === 'failed');
    expect(failed?.reason).toMatch(/^stream not found \(404\)/);
    expect(failed?.reason).toContain('no-such-mount');
    const missingVisits = visits.filter((v) => v.cameraId === 'tour-missing');
    expect(missingVisits.every((v) => !v.ok)).toBe(true);
    // Permanent → the longest backoff (10 s): far fewer attempts than the others' visits.
    expect(missingVisits.length).toBeLessThan(Math.min(...cams.map((w) => w.frames.length)));

    // Hold one camera open: one connection that stays, frames every intervalSec (1 s), no tour visits.
    const held = cams[0]!;
    const heldUrl = server.url('t1');
    held.source.setHeld!(true);
    await until('held status', () => held.source.status.tour?.held === true);
    const framesAtHold = held.frames.length;
    await until('frames from the held session', () => held.frames.length >= framesAtHold + 2, 15_000);
    const sessionsWhileHeld = opened.get(heldUrl)!;
    const heldFramesBefore = held.frames.length;
    // Held for at least 4 s and until two more frames came (≈ 4 at 1 s on a quiet machine; keyframes every 2 s →
    // at least 2): the suite runs files in parallel, and a loaded machine can delay one session's frames by
    // seconds (seen once: none in a fixed 4 s window), which says nothing about the tour leaving it alone.
    // Meanwhile the tour did not visit it and the server always had its connection.
    const connectedSamples: number[] = [];
    const heldSince = Date.now();
    const heldEnough = (): boolean => Date.now() - heldSince >= 4_000 && held.frames.length - heldFramesBefore >= 2;
    while (!heldEnough()) {
      if (Date.now() - heldSince > 20_000) break;
      connectedSamples.push(serverConnections(server.port));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(held.frames.length - heldFramesBefore, `frames from the held session in ${Date.now() - heldSince} ms`).toBeGreaterThanOrEqual(2);
    expect(opened.get(heldUrl)).toBe(sessionsWhileHeld);
    expect(Math.min(...connectedSamples)).toBeGreaterThanOrEqual(1);
    expect(held.source.status.state).toBe('live');
    expect(held.source.status.tour?.nextDueAt).toBeUndefined();
    // The others kept being visited meanwhile.
    const othersBefore = cams.slice(1).map((w) => w.frames.length);
    await until('the others visited while one is held', () => cams.slice(1).every((w, i) => w.frames.length > othersBefore[i]!), 15_000);

    // Release: back on the tour, visited again through new sessions.
    held.source.setHeld!(false);
    await until('released', () => held.source.status.tour?.held === false);
    await until('a tour visit after the release', () => opened.get(heldUrl)! > sessionsWhileHeld, 15_000);
    const released = held.source.status.tour!;
    expect(released.nextDueAt).toBeDefined();
  }, 120_000);

  it('a toured camera on a tour of its own (no runner given) visits on its own and leaves the given decoder pool open', async () => {
    const source = createCameraSource(tourCamera('solo', server.url('t2'), 2), { ...SIZE, decoderPool: pool, socketTimeoutMs: 5_000 });
    const frames: Frame[] = [];
    source.onFrame((f) => void frames.push(f));
    source.start();
    await until('two visits', () => frames.length >= 2, 20_000, () => source.status);
    await source.stop();
    expect(source.status.state).toBe('stopped');
    expect(pool.pids.length).toBeGreaterThan(0);
  }, 60_000);
});
