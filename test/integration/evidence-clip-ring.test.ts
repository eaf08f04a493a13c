import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { cutClip } from '../../src/evidence/clip-cut.js';
import { ClipRecorder, withClip } from '../../src/evidence/clip-recorder.js';
import { readRing, ringDirFor } from '../../src/evidence/clip-ring.js';
import { ringLayout } from '../../src/ingest/ring-writer.js';
import { verifyEvidenceFile } from '../../src/evidence/store-files.js';
import { createCameraSource, type CameraSource } from '../../src/ingest/camera-source.js';
import type { Frame } from '../../src/contracts/frame.js';
import type { Log } from '../../src/log/log.js';
import type { PatrolEvent } from '../../src/contracts/event.js';
import { testClip } from '../support/clip.js';

const run = promisify(execFile);
const ffmpeg = resolveFfmpeg();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Probe {
  format: string;
  codec: string;
  profile?: string;
  duration: number;
  frames: Array<{ key: boolean; pts: number }>;
}

async function probe(path: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name,duration:stream=codec_name,profile', '-show_frames', '-select_streams', 'v', '-of', 'json', path]);
  const j = JSON.parse(stdout) as {
    format: { format_name: string; duration: string };
    streams: Array<{ codec_name: string; profile?: string }>;
    frames: Array<{ key_frame: number; pts_time?: string; best_effort_timestamp_time?: string }>;
  };
  return {
    format: j.format.format_name,
    codec: j.streams[0]!.codec_name,
    profile: j.streams[0]!.profile,
    duration: Number(j.format.duration),
    frames: j.frames.map((f) => ({ key: f.key_frame === 1, pts: Number(f.pts_time ?? f.best_effort_timestamp_time) })),
  };
}

/** Top-level MP4 boxes, in file order. */
function topBoxes(buf: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at + 8 <= buf.length; ) {
    let size = buf.readUInt32BE(at);
    if (size === 1) size = Number(buf.readBigUInt64BE(at + 8));
    out.push(buf.toString('latin1', at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return out;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function event(over: Partial<PatrolEvent>): PatrolEvent {
  return {
    id: 'ev-1',
    cameraId: 'cam-ring',
    zoneId: 'z1',
    type: 'dumping',
    startedAt: 0,
    confirmedAt: 0,
    lastSeenAt: 0,
    endedAt: null,
    peakScore: 0.9,
    bestBoxes: [],
    model: 'test',
    evidence: { sha256: {} },
    ...over,
  };
}

function captureLogger(): Log & { lines: Array<{ level: string; msg?: string; obj: object }> } {
  const lines: Array<{ level: string; msg?: string; obj: object }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, msg, obj });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('clip ring on a live camera source (file in real-time loop mode), clips cut from it', () => {
  const storage = mkdtempSync(join(tmpdir(), 'patrol-clip-'));
  const cameraId = 'cam-ring';
  const ringDir = ringDirFor(storage, cameraId);
  // 14 s: 8 listed segments, 11 files. The run below (≈ 26 s) wraps the ring once.
  const layout = ringLayout(14);
  const frames: Frame[] = [];
  const samples: Array<{ files: number; bytes: number }> = [];
  const log = captureLogger();
  let source: CameraSource;
  let sampler: NodeJS.Timeout;

  beforeAll(async () => {
    const clip = await testClip();
    source = createCameraSource(
      { id: cameraId, url: `file://${clip.ts}`, loop: true, intervalSec: 1, decode: 'keyframe' },
      { width: 64, height: 64, pixelFormat: 'rgb24', realtime: true, ffmpeg, logger: log, ring: { dir: ringDir, seconds: 14 } },
    );
    source.onFrame((f) => void frames.push({ ...f, data: Buffer.alloc(0) }));
    source.start();
    sampler = setInterval(() => {
      try {
        const names = readdirSync(ringDir).filter((n) => n.endsWith('.ts'));
        samples.push({ files: names.length, bytes: names.reduce((s, n) => s + statSync(join(ringDir, n)).size, 0) });
      } catch {
        /* not created yet */
      }
    }, 500);
    await sleep(26_000);
  }, 60_000);

  afterAll(async () => {
    clearInterval(sampler);
    await source?.stop();
    rmSync(storage, { recursive: true, force: true });
  });

  it('frames keep coming at the usual pace with the ring on, and stderr diagnosis is not polluted', () => {
    expect(source.status.state).toBe('live');
    // One keyframe per 2 s of a real-time file: ≈ 13 in 26 s (less the start-up).
    expect(frames.length).toBeGreaterThanOrEqual(10);
    expect(log.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('the ring never holds more than `wrap` segment files, and wrapped around', async () => {
    expect(Math.max(...samples.map((s) => s.files))).toBeLessThanOrEqual(layout.wrap);
    expect(samples.at(-1)!.files).toBe(layout.wrap);
    const ring = await readRing(ringDir);
    expect(ring.length).toBe(layout.listSize);
    // Segments are 2 s (one GOP) and in stream order; the oldest listed one is past the first wrap.
    for (const s of ring) expect(s.streamEnd - s.streamStart).toBeCloseTo(2, 1);
    expect(ring[0]!.streamStart).toBeGreaterThanOrEqual(2 * (layout.wrap - layout.listSize));
    const maxBytes = Math.max(...samples.map((s) => s.bytes));
    console.log(`ring: ${layout.wrap} files max, ${maxBytes} bytes max for a 512 kbit/s 704×576 camera`);
  });

  it("segment wall-clock times (file mtimes) agree with the frames' own pts → wall clock mapping", async () => {
    const ring = await readRing(ringDir);
    // Frame timestamps are Date.now() on arrival; timestamp − pts is the run's stream → wall offset.
    const offsets = frames.map((f) => f.timestamp - f.ptsMs).sort((a, b) => a - b);
    const offset = offsets[Math.floor(offsets.length / 2)]!;
    const errors = ring.map((s) => s.startMs - (offset + s.streamStart * 1000));
    console.log(`segment start vs frame mapping, ms: ${errors.map((e) => e.toFixed(0)).join(' ')}`);
    for (const e of errors) expect(Math.abs(e)).toBeLessThan(400);
  });

  it('cuts a 12 s clip while the ring keeps turning: H.264 MP4, faststart, starts on a keyframe, hash matches', async () => {
    const now = Date.now();
    const fromMs = now - 14_000;
    const toMs = now - 2_000;
    const outPath = join(storage, 'clips', 'a.mp4');
    const cut = await cutClip({ ringDir, fromMs, toMs, outPath, ffmpeg });
    expect(cut.complete).toBe(true);
    expect(cut.codec).toBe('h264');
    expect(cut.startMs).toBeLessThanOrEqual(fromMs);
    expect(cut.startMs).toBeGreaterThan(fromMs - 2_000 - 100);
    expect(cut.endMs).toBe(toMs);
    expect(cut.sha256).toBe(sha256(outPath));
    expect(cut.bytes).toBe(statSync(outPath).size);

    const p = await probe(outPath);
    expect(p.format).toContain('mp4');
    expect(p.codec).toBe('h264');
    // Requested 12 s; the start snaps back to the keyframe at most one GOP (2 s) earlier.
    expect(p.duration).toBeGreaterThanOrEqual(12 - 0.05);
    expect(p.duration).toBeLessThanOrEqual(14 + 0.05);
    expect(p.duration).toBeCloseTo((cut.endMs - cut.startMs) / 1000, 1);
    expect(p.frames[0]!.key).toBe(true);
    expect(p.frames[0]!.pts).toBeCloseTo(0, 2);
    // Every frame is there (stream copy of a 25 fps stream, -skip_frame nokey notwithstanding).
    expect(p.frames.length).toBeGreaterThanOrEqual(Math.floor(p.duration * 25) - 1);
    expect(p.frames.filter((f) => f.key).length).toBeGreaterThanOrEqual(6);
    const boxes = topBoxes(readFileSync(outPath));
    expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    // No temp files left next to it, no work folders in the ring.
    expect(readdirSync(join(storage, 'clips'))).toEqual(['a.mp4']);
    expect(readdirSync(ringDir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('ClipRecorder: waits for the post-roll, writes the clip into the event folder and returns its hash', async () => {
    const now = Date.now();
    const recorder = new ClipRecorder({ storageDir: storage, cameraId, ffmpeg, preRollSec: 5, postRollSec: 3, logger: log });
    const ev = event({ id: 'ev-live', startedAt: now - 4_000, confirmedAt: now - 1_000, lastSeenAt: now - 1_000 });
    const t0 = Date.now();
    const [clip, again] = await Promise.all([recorder.request(ev), recorder.request(ev)]);
    const waited = Date.now() - t0;
    expect(again).toBe(clip);
    expect(clip).toBeDefined();
    // Post-roll ends at now + 2 s; its segment completes by the next keyframe (≤ 2 s later).
    expect(waited).toBeGreaterThanOrEqual(1_900);
    expect(waited).toBeLessThan(8_000);
    expect(clip!.relPath).toMatch(/^evidence\/cam-ring\/\d{4}-\d\d-\d\d\/ev-live\/clip-[0-9a-z]+\.mp4$/);
    expect(await verifyEvidenceFile(storage, clip!.relPath, clip!.sha256)).toBe(true);
    expect(clip!.cut!.complete).toBe(true);
    const p = await probe(join(storage, clip!.relPath));
    // startedAt − 5 s … confirmedAt + 3 s = 11 s (+ up to one GOP at the start).
    expect(p.duration).toBeGreaterThanOrEqual(11 - 0.05);
    expect(p.duration).toBeLessThanOrEqual(13 + 0.05);
    expect(p.frames[0]!.key).toBe(true);
    const updated = withClip(ev, clip!);
    expect(updated.evidence.clip).toBe(clip!.relPath);
    // An event that already carries its clip is not cut again.
    expect(await recorder.request(updated)).toEqual({ relPath: clip!.relPath, sha256: clip!.sha256 });
    await recorder.close();
  });

  it('ClipRecorder: an event older than the ring, or a camera without a ring, resolves undefined (logged), never throws', async () => {
    const now = Date.now();
    const recorder = new ClipRecorder({ storageDir: storage, cameraId, ffmpeg, logger: log });
    expect(await recorder.request(event({ id: 'ev-old', startedAt: now - 600_000, confirmedAt: now - 600_000 }))).toBeUndefined();
    const none = new ClipRecorder({ storageDir: storage, cameraId: 'no-ring-cam', ffmpeg, preRollSec: 1, postRollSec: 0.5, logger: log });
    const t0 = Date.now();
    expect(await none.request(event({ id: 'ev-none', cameraId: 'no-ring-cam', startedAt: now, confirmedAt: now }))).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(log.lines.filter((l) => l.level === 'warn' && /no clip for this event/.test(l.msg ?? '')).length).toBe(2);
    await Promise.all([recorder.close(), none.close()]);
  });

  it('close() stops waiting and cuts what the ring holds; later requests resolve undefined', async () => {
    const now = Date.now();
    const recorder = new ClipRecorder({ storageDir: storage, cameraId, ffmpeg, preRollSec: 4, postRollSec: 60 });
    const pending = recorder.request(event({ id: 'ev-closing', startedAt: now - 1_000, confirmedAt: now - 1_000 }));
    await sleep(200);
    expect(recorder.inFlight).toBe(1);
    const t0 = Date.now();
    await recorder.close();
    const clip = await pending;
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(clip).toBeDefined();
    expect(clip!.cut!.complete).toBe(false);
    expect(await recorder.request(event({ id: 'ev-after', startedAt: now, confirmedAt: now }))).toBeUndefined();
  });
});

describe('clip ring failures cost the clips, never the camera', () => {
  it('a ring folder that cannot be written: frames still come, one warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patrol-clip-bad-'));
    try {
      const blocker = join(dir, 'ring');
      writeFileSync(blocker, 'a file where the ring folder should be');
      const clip = await testClip();
      const log = captureLogger();
      const source = createCameraSource(
        { id: 'cam-bad', url: `file://${clip.ts}`, loop: true, intervalSec: 1, decode: 'keyframe' },
        // The ring dir is inside a regular file: mkdir fails before ffmpeg starts.
        { width: 32, height: 32, pixelFormat: 'rgb24', realtime: true, ffmpeg, logger: log, ring: { dir: join(blocker, 'cam-bad'), seconds: 10 } },
      );
      let n = 0;
      source.onFrame(() => void n++);
      source.start();
      await sleep(3_000);
      await source.stop();
      expect(n).toBeGreaterThanOrEqual(1);
      expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['camera cam-bad: clip ring unavailable for this connection']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a ring that fails inside ffmpeg (folder removed under it): frames still come, the failure is logged, not the camera reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patrol-clip-gone-'));
    try {
      const clip = await testClip();
      const log = captureLogger();
      const ring = join(dir, 'ring');
      const source = createCameraSource(
        { id: 'cam-gone', url: `file://${clip.ts}`, loop: true, intervalSec: 1, decode: 'keyframe' },
        { width: 32, height: 32, pixelFormat: 'rgb24', realtime: true, ffmpeg, logger: log, ring: { dir: ring, seconds: 10 } },
      );
      const got: number[] = [];
      source.onFrame((f) => void got.push(f.timestamp));
      source.start();
      await sleep(1_000);
      rmSync(ring, { recursive: true, force: true });
      await sleep(4_500);
      const afterRemoval = got.filter((t) => t > Date.now() - 2_500).length;
      await source.stop();
      expect(afterRemoval).toBeGreaterThanOrEqual(1);
      const warns = log.lines.filter((l) => l.level === 'warn').map((l) => l.msg ?? '');
      expect(warns.some((m) => /clip ring stopped until the next reconnect: tee: Slave muxer #0 failed/.test(m))).toBe(true);
      expect(source.status.reason).toBe('stopped');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file read as fast as possible (analyze) ignores the ring, with a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patrol-clip-fast-'));
    try {
      const clip = await testClip();
      const log = captureLogger();
      const source = createCameraSource(
        { id: 'cam-fast', url: `file://${clip.ts}`, loop: false, intervalSec: 1, decode: 'keyframe' },
        { width: 32, height: 32, pixelFormat: 'rgb24', realtime: false, ffmpeg, logger: log, ring: { dir: join(dir, 'ring'), seconds: 10 } },
      );
      let n = 0;
      source.onFrame(() => void n++);
      source.start();
      await source.ended;
      expect(n).toBe(5);
      expect(readdirSync(dir)).toEqual([]);
      expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
        'camera cam-fast: clip ring ignored: a file read as fast as possible has no wall clock to cut clips by',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
