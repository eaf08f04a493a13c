import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { ReadPacer } from '../../src/ingest/rtsp/read-pacer.js';
import { RtspSession, type AccessUnit } from '../../src/ingest/rtsp/session.js';
import { CameraFarm } from '../../support/camera-farm/farm-process.js';

// The farm encodes its pictures with ffmpeg (libx264) and serves them as live RTSP mounts over real TCP (RTP
// interleaved, or as UDP datagrams for a SETUP that asks for client ports).
resolveFfmpeg();
const CAMERAS = 6;

let farm: CameraFarm;
beforeAll(async () => {
  farm = await CameraFarm.start({ mounts: CAMERAS, loopSec: 4 });
}, 120_000);
afterAll(async () => {
  await farm?.stop();
});

/**
 * Plays every mount for `ms` with the given pacing; the socket reads each session handled (TCP), or over UDP
 * the batches its datagrams came in (handled more than 20 ms after the one before), and its access units.
 */
async function play(pacer: ReadPacer | undefined, readPacingMs: number, ms: number, transport: 'tcp' | 'udp' = 'tcp') {
  const reads = new Map<RtspSession, number>();
  const lastDatagramAt = new Map<RtspSession, number>();
  type Handlers = { onData: (c: Buffer) => void; onDatagram: (...a: unknown[]) => void };
  const proto = RtspSession.prototype as unknown as Handlers;
  const onData = proto.onData;
  const onDatagram = proto.onDatagram;
  const spy = vi.spyOn(proto, 'onData').mockImplementation(function (this: RtspSession, c: Buffer) {
    if (this.state === 'playing') reads.set(this, (reads.get(this) ?? 0) + 1);
    onData.call(this, c);
  });
  const udpSpy = vi.spyOn(proto, 'onDatagram').mockImplementation(function (this: RtspSession, ...a: unknown[]) {
    const now = performance.now();
    if (this.state === 'playing' && now - (lastDatagramAt.get(this) ?? -Infinity) > 20) reads.set(this, (reads.get(this) ?? 0) + 1);
    lastDatagramAt.set(this, now);
    onDatagram.apply(this, a);
  });
  const sessions = Array.from({ length: CAMERAS }, (_, k) => new RtspSession({ url: farm.url(k + 1), readPacingMs, transport }, undefined, { pacer }));
  const units = new Map<RtspSession, AccessUnit[]>(sessions.map((s) => [s, []]));
  try {
    for (const s of sessions) {
      s.on('accessUnit', (au) => units.get(s)!.push(au));
      s.start();
    }
    const end = Date.now() + 15_000;
    while (sessions.some((s) => s.state !== 'playing') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(sessions.map((s) => s.state)).toEqual(sessions.map(() => 'playing'));
    for (const s of sessions) units.get(s)!.length = 0;
    reads.clear();
    await new Promise((r) => setTimeout(r, ms));
    return sessions.map((s) => ({ reads: reads.get(s) ?? 0, units: units.get(s)!.slice(), stats: s.stats }));
  } finally {
    spy.mockRestore();
    udpSpy.mockRestore();
    await Promise.all(sessions.map((s) => s.close()));
  }
}

describe('read pacing against live RTSP mounts (the camera farm)', () => {
  it('one shared pacer: every camera read in batches about every 100 ms, every frame whole and in order', async () => {
    const got = await play(new ReadPacer(100), 100, 3_000);
    for (const g of got) {
      // 25 fps for 3 s: about 75 frames, read in about 30 batches (at most a few reads per batch).
      expect(g.units.length).toBeGreaterThan(50);
      expect(g.reads).toBeLessThan(g.units.length);
      expect(g.reads).toBeLessThanOrEqual(3 * 30 + 10);
      expect(g.stats.droppedAccessUnits + g.stats.lostPackets + g.stats.malformedPackets).toBe(0);
      const ts = g.units.map((u) => u.rtpTimestamp);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
      // Annex-B from the first byte: a frame cut or overwritten by a later read would not start with a start code.
      for (const u of g.units) expect(u.data.subarray(0, 4)).toEqual(Buffer.from([0, 0, 0, 1]));
      expect(g.units.some((u) => u.keyframe)).toBe(true);
    }
  }, 60_000);

  it('RTP over UDP, the same shared pacer: datagrams handled in batches about every 100 ms, every frame whole and in order', async () => {
    const got = await play(new ReadPacer(100), 100, 3_000, 'udp');
    for (const g of got) {
      expect(g.units.length).toBeGreaterThan(50);
      // Unpaced, the farm's sends every 20 ms would each be handled on their own (≈ 150 in 3 s).
      expect(g.reads).toBeGreaterThan(10);
      expect(g.reads).toBeLessThanOrEqual(3 * 10 + 8);
      expect(g.stats.droppedAccessUnits + g.stats.lostPackets + g.stats.malformedPackets).toBe(0);
      const ts = g.units.map((u) => u.rtpTimestamp);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
      for (const u of g.units) expect(u.data.subarray(0, 4)).toEqual(Buffer.from([0, 0, 0, 1]));
    }
  }, 60_000);

  it('readPacingMs 0: read as packets come, the same whole frames', async () => {
    const got = await play(undefined, 0, 2_000);
    // How many reads that takes depends on the load (a busy process finds several frames waiting): reported only.
    console.log(`unpaced: ${got.map((g) => `${g.reads} reads for ${g.units.length} frames`).join(', ')}`);
    for (const g of got) {
      expect(g.units.length).toBeGreaterThan(30);
      expect(g.stats.droppedAccessUnits + g.stats.lostPackets).toBe(0);
      for (const u of g.units) expect(u.data.subarray(0, 4)).toEqual(Buffer.from([0, 0, 0, 1]));
    }
  }, 60_000);
});
