import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DecodedKeyframe, KeyframeDecoderPool } from '../../src/decode/decoder-pool.js';
import type { SourceStatus } from '../../src/contracts/camera-status.js';
import type { Frame } from '../../src/contracts/frame.js';
import { declaredReorderDelay, withoutReorderDelay } from '../../src/decode/sps.js';
import { DueKeyframe } from '../../src/ingest/due-keyframe.js';
import { GopBuffer, type BufferedUnit } from '../../src/ingest/gop-buffer.js';
import { NativeCameraSource } from '../../src/ingest/native-source.js';
import type { AccessUnit } from '../../src/ingest/rtsp/session.js';

function unit(t: number, bytes = 1_000): BufferedUnit<string> {
  return { unit: `au@${t}`, bytes, streamMs: t, receivedAt: t };
}

describe('GopBuffer: which access units a forward request gets', () => {
  it('the keyframe, then every access unit after it up to the newest (the due one), in order', () => {
    const gop = new GopBuffer<string>();
    gop.follow(unit(-40), false); // before any keyframe: nothing to decode it from
    expect(gop.length).toBe(0);
    gop.keyframe(unit(0));
    expect(gop.forward(undefined)).toBeUndefined(); // the keyframe alone is a keyframe decode, not a forward one
    for (let t = 40; t <= 2_000; t += 40) gop.follow(unit(t), false);
    const r = gop.forward(0)!;
    expect(r.keyframe.unit).toBe('au@0');
    expect(r.following.map((u) => u.streamMs)).toEqual(Array.from({ length: 50 }, (_, i) => (i + 1) * 40));
    expect(r.due.unit).toBe('au@2000');
    expect(gop.bytes).toBe(51 * 1_000);
    // Nothing newer than what was analyzed last: no request.
    expect(gop.forward(2_000)).toBeUndefined();
    // The next keyframe starts over and frees the old GOP.
    gop.keyframe(unit(10_000));
    expect(gop.length).toBe(1);
    expect(gop.bytes).toBe(1_000);
  });

  it('a lost access unit gives the GOP up until the next keyframe', () => {
    const gop = new GopBuffer<string>();
    gop.keyframe(unit(0));
    gop.follow(unit(40), false);
    gop.follow(unit(120), true); // 80 was dropped by the depacketizer
    expect(gop.abandoned).toBe('loss');
    expect(gop.length).toBe(0);
    gop.follow(unit(160), false);
    expect(gop.forward(0)).toBeUndefined();
    expect(gop.stats.abandoned).toEqual({ loss: 1, bytes: 0, count: 0 });
    gop.keyframe(unit(10_000));
    gop.follow(unit(10_040), false);
    expect(gop.abandoned).toBeUndefined();
    expect(gop.forward(0)?.following.map((u) => u.unit)).toEqual(['au@10040']);
  });

  it('caps bytes and count: past either the GOP is dropped (memory freed), not truncated', () => {
    const bytes = new GopBuffer<string>({ maxBytes: 10_000 });
    bytes.keyframe(unit(0, 4_000));
    bytes.follow(unit(40, 4_000), false);
    expect(bytes.bytes).toBe(8_000);
    bytes.follow(unit(80, 4_000), false);
    expect(bytes.abandoned).toBe('bytes');
    expect(bytes.bytes).toBe(0);
    expect(bytes.forward(undefined)).toBeUndefined();

    const count = new GopBuffer<string>({ maxUnits: 3 });
    count.keyframe(unit(0));
    count.follow(unit(40), false);
    count.follow(unit(80), false);
    count.follow(unit(120), false);
    expect(count.abandoned).toBe('count');
    expect(count.stats.abandoned.count).toBe(1);

    const hugeKeyframe = new GopBuffer<string>({ maxBytes: 10_000 });
    hugeKeyframe.keyframe(unit(0, 20_000));
    expect(hugeKeyframe.abandoned).toBe('bytes');
    expect(hugeKeyframe.length).toBe(0);
  });

  it('keyframeOnly drops what follows the keyframe (the GOP turned out short)', () => {
    const gop = new GopBuffer<string>();
    gop.keyframe(unit(0));
    gop.follow(unit(40), false);
    gop.keyframeOnly();
    expect(gop.length).toBe(1);
    expect(gop.bytes).toBe(1_000);
  });
});

describe('DueKeyframe.takeForward: when a frame between keyframes is due', () => {
  /** A 25 fps camera with keyframes every `gopMs`; what native-source does with the timer and the arrivals. */
  function simulate(intervalMs: number, gopMs: number, untilMs: number): Array<[number, 'k' | 'f']> {
    const due = new DueKeyframe<number>(intervalMs);
    const gop = new GopBuffer<number>();
    const taken: Array<[number, 'k' | 'f']> = [];
    let timerAt: number | undefined;
    for (let t = 0; t <= untilMs; t += 40) {
      const entry = { unit: t, bytes: 100, streamMs: t, receivedAt: t };
      if (t % gopMs === 0) {
        gop.keyframe(entry);
        const k = due.offer(t, t, t);
        if (k) {
          taken.push([k.streamMs, 'k']);
          timerAt = due.nextDueAt;
        }
      } else gop.follow(entry, false);
      if (timerAt !== undefined && t >= timerAt) {
        timerAt = undefined;
        const k = due.take(t);
        if (k) {
          taken.push([k.streamMs, 'k']);
          timerAt = due.nextDueAt;
          continue;
        }
        const r = gop.forward(due.lastTakenMs);
        if (r && due.takeForward(r.due.streamMs, t)) {
          taken.push([r.due.streamMs, 'f']);
          timerAt = due.nextDueAt;
        }
      }
    }
    return taken;
  }

  it('10 s GOP, 2 s interval: keyframes at 0, 10, 20 s and forward frames every 2 s between them', () => {
    expect(simulate(2_000, 10_000, 24_000)).toEqual([
      [0, 'k'], [2_000, 'f'], [4_000, 'f'], [6_000, 'f'], [8_000, 'f'],
      [10_000, 'k'], [12_000, 'f'], [14_000, 'f'], [16_000, 'f'], [18_000, 'f'],
      [20_000, 'k'], [22_000, 'f'], [24_000, 'f'],
    ]);
  });

  it('a GOP within the interval never forwards: keyframes only, as before', () => {
    expect(simulate(5_000, 2_000, 20_000).every(([, kind]) => kind === 'k')).toBe(true);
  });

  it('not before the due time, not the same frame twice, and not when the next keyframe is expected now', () => {
    const due = new DueKeyframe<string>(2_000);
    due.offer('k0', 0, 0);
    expect(due.takeForward(1_000, 1_000)).toBe(false); // not due
    expect(due.takeForward(2_000, 2_000)).toBe(true);
    expect(due.lastTakenMs).toBe(2_000);
    expect(due.takeForward(2_000, 4_000)).toBe(false); // nothing newer
    due.offer('k1', 10_000, 10_000); // taken on arrival (due since 4 s)
    expect(due.gopMs).toBe(10_000);
    expect(due.takeForward(19_960, 19_960)).toBe(false); // k2 is expected at 20 s: take it instead
    expect(due.offer('k2', 20_000, 20_000)?.keyframe).toBe('k2');
  });

  it('a forward take supersedes a held keyframe older than its frame', () => {
    const due = new DueKeyframe<string>(2_000);
    due.offer('k0', 0, 0);
    expect(due.takeForward(2_000, 2_000)).toBe(true);
    expect(due.offer('k1', 2_500, 2_500)).toBeUndefined(); // held: due at 4 s
    expect(due.takeForward(3_960, 4_000)).toBe(true);
    expect(due.take(9_000)).toBeUndefined(); // k1 is older than the frame analyzed
  });
});

describe('declaredReorderDelay: which streams say they carry B-frames', () => {
  // SPS NAL units from test/unit/decode-sps.test.ts (ffmpeg 5.1's libx264 / libx265 through the GStreamer server).
  const hex = (s: string): Buffer => Buffer.from(s, 'hex');
  it('reads max_num_reorder_frames / sps_max_num_reorder_pics, undefined when the SPS does not say', () => {
    expect(declaredReorderDelay('h264', hex('6742c01eda02c049b011000003000100000300320f162ea0'))).toBe(0); // baseline
    expect(declaredReorderDelay('h264', hex('674d401eeca05809360220000003002000000641e2c5b2c0'))).toBe(2); // main, -bf 3
    const h265 = hex('42010101600000030090000003000003005aa0058200905965664a4c2f016808000003000800000300c840');
    expect(declaredReorderDelay('h265', h265)).toBe(2);
    expect(declaredReorderDelay('h265', withoutReorderDelay('h265', h265))).toBe(0);
  });
});

/** A fake RTSP session the test drives: access units in, a dropped-count it can raise. */
class FakeSession extends EventEmitter {
  stats = { droppedAccessUnits: 0, oversizeAccessUnits: 0 };
  start(): void {
    this.emit('state', 'playing');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function accessUnit(t: number, keyframe: boolean, sps: Buffer[] = []): AccessUnit {
  return { codec: 'h264', timestampMs: t, rtpTimestamp: t * 90, keyframe, data: Buffer.from(`au@${t}`), parameterSets: { sps, pps: [] } };
}

/** A native camera on a fake session and pool, 25 fps, a keyframe every 10 s, intervalSec 2. */
function fakeCamera(opts: { sps?: Buffer[]; complete?: boolean } = {}) {
  const picture = (complete: boolean): DecodedKeyframe => ({ data: Buffer.alloc(48), sourceWidth: 4, sourceHeight: 4, contentWidth: 4, contentHeight: 4, complete });
  const calls = { keyframe: 0, forward: 0 };
  const pool = {
    width: 4,
    height: 4,
    pixelFormat: 'bgr24',
    decode: () => (calls.keyframe++, Promise.resolve(picture(true))),
    decodeForward: () => (calls.forward++, Promise.resolve(picture(opts.complete ?? true))),
    close: () => Promise.resolve(),
  } as unknown as KeyframeDecoderPool;
  const session = new FakeSession();
  const source = new NativeCameraSource(
    { id: 'cam', url: 'rtsp://127.0.0.1/cam', loop: false, intervalSec: 2, decode: 'keyframe', transport: 'native' },
    { width: 4, height: 4, pixelFormat: 'bgr24', decoderPool: pool, clock: () => Date.now() },
    { createSession: () => session },
  );
  const frames: Frame[] = [];
  source.onFrame((f) => void frames.push(f));
  source.start();
  const play = async (from: number, to: number): Promise<void> => {
    for (let t = from; t < to; t += 40) {
      session.emit('accessUnit', accessUnit(t, t % 10_000 === 0, opts.sps));
      await vi.advanceTimersByTimeAsync(40);
    }
  };
  return { source, frames, calls, play };
}

describe('NativeCameraSource decoding forward (fake session and pool)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('sends the keyframe and the access units up to the due one; a loss stops it until the next keyframe', async () => {
    const picture: DecodedKeyframe = { data: Buffer.alloc(48), sourceWidth: 4, sourceHeight: 4, contentWidth: 4, contentHeight: 4, complete: true };
    const keyframeCalls: string[] = [];
    const forwardCalls: Array<{ keyframe: string; following: string[] }> = [];
    const pool = {
      width: 4,
      height: 4,
      pixelFormat: 'bgr24',
      decode: (_codec: string, data: Buffer) => {
        keyframeCalls.push(data.toString());
        return Promise.resolve(picture);
      },
      decodeForward: (_codec: string, keyframe: Buffer, following: Buffer[]) => {
        forwardCalls.push({ keyframe: keyframe.toString(), following: following.map((b) => b.toString()) });
        return Promise.resolve(picture);
      },
      close: () => Promise.resolve(),
    } as unknown as KeyframeDecoderPool;
    const session = new FakeSession();
    const source = new NativeCameraSource(
      { id: 'long-gop', url: 'rtsp://127.0.0.1/cam', loop: false, intervalSec: 2, decode: 'keyframe', transport: 'native' },
      { width: 4, height: 4, pixelFormat: 'bgr24', decoderPool: pool, clock: () => Date.now() },
      { createSession: () => session },
    );
    const frames: Frame[] = [];
    const statuses: SourceStatus[] = [];
    source.onFrame((f) => void frames.push(f));
    source.onStatus((s) => void statuses.push(s));
    source.start();
    const t0 = Date.now();
    const play = async (from: number, to: number, onStep?: (t: number) => void): Promise<void> => {
      for (let t = from; t < to; t += 40) {
        onStep?.(t);
        session.emit('accessUnit', accessUnit(t, t % 10_000 === 0));
        await vi.advanceTimersByTimeAsync(40);
      }
    };
    await play(0, 20_000);
    // Each due time comes 40 ms before the next access unit here (the timer fires first), so the due frame is
    // the one of 40 ms earlier. The GOP is unknown during the first 10 s (no keyframe expected): 9.96 s is
    // decoded forward too; the keyframe of 10 s arrives when the camera is not due, and at 12 s the frame
    // decoded forward from it is newer. Keyframe decodes: only the first.
    expect(keyframeCalls).toEqual(['au@0']);
    expect(forwardCalls.map((c) => [c.keyframe, c.following.length, c.following.at(-1)])).toEqual([
      ['au@0', 49, 'au@1960'], ['au@0', 99, 'au@3960'], ['au@0', 149, 'au@5960'], ['au@0', 199, 'au@7960'], ['au@0', 249, 'au@9960'],
      ['au@10000', 49, 'au@11960'], ['au@10000', 99, 'au@13960'], ['au@10000', 149, 'au@15960'], ['au@10000', 199, 'au@17960'],
    ]);
    // In decoding order, every access unit after the keyframe, none skipped.
    expect(forwardCalls[0]!.following).toEqual(Array.from({ length: 49 }, (_, i) => `au@${(i + 1) * 40}`));
    const expected = [0, 1_960, 3_960, 5_960, 7_960, 9_960, 11_960, 13_960, 15_960, 17_960];
    expect(frames.map((f) => f.ptsMs)).toEqual(expected);
    expect(frames.map((f) => f.timestamp - t0)).toEqual(expected); // stamped with the due frame's arrival
    expect(source.status.reason).toBe('GOP 10.0 s > interval 2 s: decoding forward from the last keyframe');
    expect(source.stats).toMatchObject({ keyframeFrames: 1, forwardFrames: 9, forwardAccessUnits: 1_250 });

    // The GOP is known now: at 20 s the keyframe due about then is waited for, not decoded forward to.
    // A packet loss at 21 s breaks the GOP: no forward frame until the keyframe at 30 s, then forward again.
    await play(20_000, 32_000, (t) => {
      if (t === 21_000) session.stats.droppedAccessUnits++;
    });
    const after = frames.filter((f) => f.ptsMs! >= 20_000).map((f) => f.ptsMs);
    expect(after).toEqual([20_000, 30_000, 31_960]);
    expect(keyframeCalls).toEqual(['au@0', 'au@20000', 'au@30000']);
    expect(source.stats.abandoned.loss).toBe(1);
    expect(forwardCalls.at(-1)).toMatchObject({ keyframe: 'au@30000' });
    expect(forwardCalls).toHaveLength(10);
    await source.stop();
  });

  it('an H.264 stream that declares B-frames stays at the keyframes\' pace, and says why', async () => {
    const cam = fakeCamera({ sps: [Buffer.from('674d401eeca05809360220000003002000000641e2c5b2c0', 'hex')] });
    await cam.play(0, 30_040);
    expect(cam.calls).toEqual({ keyframe: 4, forward: 0 });
    expect(cam.frames.map((f) => f.ptsMs)).toEqual([0, 10_000, 20_000, 30_000]);
    expect(cam.source.status.reason).toBe("GOP 10.0 s > interval 2 s: analyzed at the keyframes' pace, not decoded forward: the H.264 stream has B-frames (reorder delay 2)");
    await cam.source.stop();
  });

  it('a forward request that comes back short turns forwarding off for the connection (its picture still counts)', async () => {
    const cam = fakeCamera({ complete: false });
    await cam.play(0, 30_040);
    expect(cam.calls.forward).toBe(1);
    expect(cam.frames.map((f) => f.ptsMs)).toEqual([0, 1_960, 10_000, 20_000, 30_000]);
    expect(cam.source.status.reason).toMatch(/not decoded forward: a forward decode made fewer pictures than access units/);
    await cam.source.stop();
  });
});
