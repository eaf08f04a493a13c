import { describe, expect, it } from 'vitest';
import { PacketRing, type RingUnit } from '../../src/ingest/packet-ring.js';
import { SpanCapture } from '../../src/ingest/span-capture.js';
import { ClipSpans } from '../../src/ingest/clip-spans.js';
import { UnitSlab } from '../../src/ingest/unit-slab.js';

const T0 = 1_700_000_000_000;
const SPS = Buffer.from([0x67, 0x42, 0x00, 0x1e]);

/** A 25 fps stream: unit i arrives at T0 + 40 i, a keyframe every `gop` units, `bytes` each. */
function unit(i: number, gop = 50, bytes = 100, streamBase = 0): RingUnit {
  return { data: Buffer.alloc(bytes, i & 0xff), keyframe: i % gop === 0, streamMs: streamBase + i * 40, receivedAt: T0 + i * 40 };
}

function fill(ring: PacketRing, from: number, to: number, gop = 50, bytes = 100): void {
  for (let i = from; i < to; i++) ring.push(unit(i, gop, bytes), 'h264', SPS);
}

describe('PacketRing', () => {
  it('skips units before the first keyframe: what it holds starts on a keyframe', () => {
    const ring = new PacketRing({ keepMs: 10_000 });
    for (let i = 30; i < 60; i++) ring.push(unit(i), 'h264', SPS);
    expect(ring.stats.skippedUnits).toBe(20);
    const sel = ring.select(T0, T0 + 10_000)!;
    expect(sel.units[0]!.keyframe).toBe(true);
    expect(sel.units[0]!.streamMs).toBe(50 * 40);
    expect(sel.units).toHaveLength(10);
  });

  it('evicts whole GOPs from the front once the next GOP still covers keepMs', () => {
    const ring = new PacketRing({ keepMs: 5_000 });
    fill(ring, 0, 500); // 20 s, GOP 2 s
    const units = ring.select(0, Infinity)!.units;
    expect(units[0]!.keyframe).toBe(true);
    const newest = units.at(-1)!.receivedAt;
    const span = newest - units[0]!.receivedAt;
    // At least keepMs, at most keepMs + one GOP.
    expect(span).toBeGreaterThanOrEqual(5_000);
    expect(span).toBeLessThan(5_000 + 2_000);
    expect(ring.bytes).toBe(units.length * 100);
    expect(ring.stats.evictedGops).toBeGreaterThan(0);
  });

  it('keeps under the byte cap, GOP by GOP; a single GOP over the cap is dropped until the next keyframe', () => {
    const ring = new PacketRing({ keepMs: 60_000, maxBytes: 12_000 });
    fill(ring, 0, 300); // 50 units × 100 B = 5 000 B per GOP
    expect(ring.bytes).toBeLessThanOrEqual(12_000);
    const sel = ring.select(0, Infinity)!;
    expect(sel.units[0]!.keyframe).toBe(true);
    expect(sel.units.length).toBeGreaterThanOrEqual(100);

    const tiny = new PacketRing({ keepMs: 60_000, maxBytes: 3_000 });
    fill(tiny, 0, 60);
    expect(tiny.bytes).toBeLessThanOrEqual(3_000);
    expect(tiny.stats.oversizeGops).toBe(1);
    // The GOP after it starts afresh.
    expect(tiny.select(0, Infinity)!.units[0]!.streamMs).toBe(50 * 40);
  });

  it('a new segment on reconnect, on a new SPS (resolution) and on a stream clock jump; a clip never spans two', () => {
    const ring = new PacketRing({ keepMs: 60_000 });
    fill(ring, 0, 60);
    const first = ring.openSegmentId;
    ring.close();
    expect(ring.openSegmentId).toBeUndefined();
    for (let i = 100; i < 160; i++) ring.push({ ...unit(i), streamMs: (i - 100) * 40 }, 'h264', SPS);
    const second = ring.openSegmentId;
    expect(second).not.toBe(first);
    for (let i = 160; i < 210; i++) ring.push({ ...unit(i), keyframe: i === 200 }, 'h264', Buffer.from([0x67, 0x64, 0x00, 0x28]));
    expect(ring.openSegmentId).not.toBe(second);
    expect(ring.stats.segments).toBe(3);
    // A span mostly before the reconnect takes the first segment only; one mostly after it, the second.
    const sel = ring.select(T0 + 1_000, T0 + 3_000)!;
    expect(sel.segmentId).toBe(first);
    expect(sel.open).toBe(false);
    expect(sel.units.at(-1)!.receivedAt).toBe(T0 + 59 * 40);
    const later = ring.select(T0 + 2_000, T0 + 6_000)!;
    expect(later.segmentId).toBe(second);
    expect(later.units[0]!.receivedAt).toBe(T0 + 100 * 40);

    const jumpy = new PacketRing({ keepMs: 60_000 });
    fill(jumpy, 0, 60);
    jumpy.push({ ...unit(60), streamMs: 60 * 40 + 3_600_000 }, 'h264', SPS);
    expect(jumpy.openSegmentId).toBeUndefined(); // a P-frame after the jump waits for a keyframe
  });

  it('follows the 32-bit RTP clock across its wrap (the session unwraps it): one segment, time rising', () => {
    const ring = new PacketRing({ keepMs: 60_000 });
    // 90 kHz: 2^32 ticks ≈ 47 722 s; start 1 s before the wrap.
    const wrapMs = (2 ** 32 / 90_000) * 1000;
    for (let i = 0; i < 100; i++) ring.push(unit(i, 50, 100, wrapMs - 1_000), 'h264', SPS);
    expect(ring.stats.segments).toBe(1);
    const units = ring.select(0, Infinity)!.units;
    for (let i = 1; i < units.length; i++) expect(units[i]!.streamMs - units[i - 1]!.streamMs).toBeCloseTo(40, 6);
    // A clock that was NOT unwrapped (a 47 722 s step back) is a jump: a new segment, no splice.
    ring.push({ ...unit(100), streamMs: 0 }, 'h264', SPS);
    expect(ring.stats.segments).toBe(2);
  });

  it('after a loss, the rest of the GOP is skipped and the selection says it is short', () => {
    const ring = new PacketRing({ keepMs: 60_000 });
    fill(ring, 0, 20);
    expect(ring.push(unit(20), 'h264', SPS, true)).toBeUndefined();
    fill(ring, 21, 60);
    const sel = ring.select(0, Infinity)!;
    expect(sel.short).toBe(true);
    expect(sel.units.map((u) => u.streamMs / 40)).toEqual([...Array(20).keys(), ...Array.from({ length: 10 }, (_, k) => 50 + k)]);
  });
});

describe('SpanCapture and ClipSpans', () => {
  it('pre-roll from the keyframe at or before fromMs, post-roll until a unit passes toMs', () => {
    const ring = new PacketRing({ keepMs: 10_000 });
    fill(ring, 0, 300); // up to T0 + 12 s
    const fromMs = T0 + 9_000;
    const toMs = T0 + 14_000;
    const cap = new SpanCapture(fromMs, toMs, ring.select(fromMs, toMs)!);
    expect(cap.done).toBe(false);
    let i = 300;
    for (; !cap.done; i++) {
      const u = unit(i);
      cap.offer(u, ring.push(u, 'h264', SPS));
    }
    const span = cap.result()!;
    expect(span.units[0]!.keyframe).toBe(true);
    expect(span.startMs).toBe(T0 + 8_000); // the keyframe at 8 s
    expect(span.endMs).toBeLessThanOrEqual(toMs);
    expect(span.endMs).toBeGreaterThan(toMs - 100);
    expect(span.units[0]!.ptsMs).toBe(0);
    expect(span.units.at(-1)!.ptsMs).toBe(span.endMs - span.startMs);
    expect(span.complete).toBe(true);
  });

  it('ends short, and says why, when the connection ends; ClipSpans resolves what it has', async () => {
    const spans = new ClipSpans({ keepMs: 10_000 });
    for (let i = 0; i < 200; i++) spans.push({ codec: 'h264', data: Buffer.alloc(100), keyframe: i % 50 === 0, timestampMs: i * 40, parameterSets: { sps: [SPS] } }, T0 + i * 40, false);
    const pending = spans.span(T0 + 6_000, T0 + 12_000);
    expect(spans.stats.collecting).toBe(1);
    spans.connectionEnded('camera down');
    const span = (await pending)!;
    expect(span.complete).toBe(false);
    expect(span.shortBecause).toMatch(/post-roll short by 4\.0 s: camera down/);
    expect(span.units).toHaveLength(200 - 150);
    // Nothing held for a later span; and a stopped camera answers nothing.
    expect(await spans.span(T0 + 60_000, T0 + 70_000)).toBeUndefined();
    spans.close();
    expect(await spans.span(T0 + 6_000, T0 + 7_000)).toBeUndefined();
  });

  it('a hurried capture resolves with what it has', async () => {
    const spans = new ClipSpans({ keepMs: 10_000 });
    for (let i = 0; i < 100; i++) spans.push({ codec: 'h265', data: Buffer.alloc(10), keyframe: i % 50 === 0, timestampMs: i * 40, parameterSets: { sps: [SPS] } }, T0 + i * 40, false);
    let hurry!: () => void;
    const pending = spans.span(T0 + 1_000, T0 + 30_000, new Promise<void>((r) => (hurry = r)));
    hurry();
    const span = (await pending)!;
    expect(span.codec).toBe('h265');
    expect(span.units).toHaveLength(100);
    expect(span.shortBecause).toMatch(/cut short/);
  });

  it('UnitSlab: small units are copied side by side into chunks of its own, large ones get their own buffer', () => {
    const s = new UnitSlab(1024);
    const pool = Buffer.alloc(8192, 3);
    const a = s.copy(pool.subarray(0, 100));
    const b = s.copy(pool.subarray(100, 300));
    expect(a.buffer).toBe(b.buffer);
    expect(a.buffer.byteLength).toBe(1024);
    expect(b.byteOffset).toBe(100);
    expect(b.equals(pool.subarray(100, 300))).toBe(true);
    // The chunk is full: the next one starts a new chunk.
    const c = s.copy(pool.subarray(0, 250));
    s.copy(pool.subarray(0, 250));
    const d = s.copy(pool.subarray(0, 250));
    expect(c.buffer).toBe(a.buffer);
    expect(d.buffer).not.toBe(a.buffer);
    const big = s.copy(pool.subarray(0, 600));
    expect(big.buffer.byteLength).toBe(600);
    // Always a copy: the source may be a buffer its owner writes again (the depacketizer's assembly).
    const whole = Buffer.allocUnsafeSlow(600).fill(7);
    const copied = s.copy(whole);
    expect(copied).not.toBe(whole);
    whole.fill(0);
    expect(copied.every((v) => v === 7)).toBe(true);
  });
});
