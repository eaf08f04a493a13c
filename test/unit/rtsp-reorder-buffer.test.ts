import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from '../../src/ingest/rtsp/reorder-buffer.js';
import { SequenceTracker } from '../../src/ingest/rtsp/rtp.js';
import { prng } from '../support/prng.js';

/** A buffer feeding a SequenceTracker, as the session wires them; records what comes out and the tracker's verdicts. */
function rig(maxPackets = 8, maxWaitMs = 100) {
  const out: number[] = [];
  const verdicts: string[] = [];
  const tracker = new SequenceTracker();
  const buf = new ReorderBuffer<number>({
    maxPackets,
    maxWaitMs,
    release: (seq) => {
      out.push(seq);
      const v = tracker.push(seq);
      verdicts.push(v.kind === 'next' ? `next${v.lost ? `-lost${v.lost}` : ''}` : v.kind);
    },
  });
  const push = (seqs: number[], now = 0): void => seqs.forEach((s) => buf.push(s, s, now));
  return { buf, out, verdicts, tracker, push };
}

describe('RTP reorder buffer (UDP)', () => {
  it('in-order packets pass straight through', () => {
    const r = rig();
    r.push([10, 11, 12, 13]);
    expect(r.out).toEqual([10, 11, 12, 13]);
    expect(r.buf.waiting).toBe(0);
  });

  it('an overtaken packet is put back in place: the tracker sees no loss and nothing late', () => {
    const r = rig();
    r.push([1, 2, 4, 5, 3, 6]);
    expect(r.out).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.verdicts.every((v) => v === 'next')).toBe(true);
    expect(r.tracker.lost).toBe(0);
    expect(r.buf.stats).toEqual({ reordered: 1, gapsSkipped: 0, duplicates: 0 });
  });

  it('across the 16-bit wrap', () => {
    const r = rig();
    r.push([65_534, 0, 65_535, 1]);
    expect(r.out).toEqual([65_534, 65_535, 0, 1]);
    expect(r.tracker.lost).toBe(0);
  });

  it('a lost packet: the ones after it wait at most maxWaitMs, then go on and the tracker counts the loss', () => {
    const r = rig(8, 100);
    r.buf.push(1, 1, 0);
    r.buf.push(3, 3, 10);
    r.buf.push(4, 4, 20);
    expect(r.out).toEqual([1]);
    r.buf.expire(109);
    expect(r.out).toEqual([1]);
    r.buf.expire(110);
    expect(r.out).toEqual([1, 3, 4]);
    expect(r.verdicts).toEqual(['next', 'next-lost1', 'next']);
    expect(r.buf.stats.gapsSkipped).toBe(1);
    // The lost one turning up after all is late: the tracker drops it as old.
    r.buf.push(2, 2, 200);
    expect(r.verdicts.at(-1)).toBe('old');
  });

  it('at most maxPackets wait: one more lets the gap go', () => {
    const r = rig(3, 10_000);
    r.push([1, 3, 4, 5]);
    expect(r.out).toEqual([1]);
    r.push([6]);
    expect(r.out).toEqual([1, 3, 4, 5, 6]);
    expect(r.buf.waiting).toBe(0);
  });

  it('at most maxBytes wait: a gap whose packets after it pass the byte cap goes', () => {
    const out: number[] = [];
    const buf = new ReorderBuffer<number>({ maxPackets: 100, maxWaitMs: 10_000, maxBytes: 3_000, bytes: () => 1_000, release: (s) => void out.push(s) });
    for (const s of [1, 3, 4, 5]) buf.push(s, s, 0);
    expect(out).toEqual([1]);
    expect(buf.bufferedBytes).toBe(3_000);
    buf.push(6, 6, 0);
    expect(out).toEqual([1, 3, 4, 5, 6]);
    expect(buf.bufferedBytes).toBe(0);
  });

  it('a duplicate of a waiting packet is dropped; one of a passed packet goes to the tracker as old', () => {
    const r = rig();
    r.push([1, 3, 3]);
    expect(r.buf.stats.duplicates).toBe(1);
    r.push([2]);
    expect(r.out).toEqual([1, 2, 3]);
    r.push([2]);
    expect(r.verdicts.at(-1)).toBe('old');
  });

  it('a restarted sender (a jump of thousands) flushes what waits and starts over', () => {
    const r = rig();
    r.push([100, 102, 103, 40_000, 40_001]);
    expect(r.out).toEqual([100, 102, 103, 40_000, 40_001]);
    expect(r.verdicts.at(-2)).toBe('reset');
    expect(r.buf.waiting).toBe(0);
  });

  it('flush() passes on everything waiting, in order', () => {
    const r = rig();
    r.push([1, 5, 3]);
    r.buf.flush();
    expect(r.out).toEqual([1, 3, 5]);
  });
});

describe('RTP reorder buffer under random input', () => {
  it('every packet comes out at most once, nothing is lost inside it, and at most maxPackets wait', () => {
    const random = prng(7);
    const released: number[] = [];
    const buf = new ReorderBuffer<number>({ maxPackets: 16, maxWaitMs: 50, release: (id) => void released.push(id) });
    let id = 0;
    let now = 0;
    let seq = 1000;
    let maxWaiting = 0;
    for (let i = 0; i < 20_000; i++) {
      now += Math.floor(random() * 5);
      const r = random();
      // Mostly in order, some shuffles, some losses, duplicates, jumps and garbage numbers.
      const s = r < 0.7 ? seq++ : r < 0.85 ? seq + Math.floor(random() * 8) - 4 : r < 0.95 ? (seq += 2) : r < 0.99 ? Math.floor(random() * 0x10000) : seq;
      buf.push(s & 0xffff, id++, now);
      maxWaiting = Math.max(maxWaiting, buf.waiting);
    }
    expect(maxWaiting).toBeLessThanOrEqual(16);
    expect(maxWaiting).toBeGreaterThan(0);
    buf.flush();
    expect(buf.waiting).toBe(0);
    expect(new Set(released).size).toBe(released.length);
    expect(released.length + buf.stats.duplicates).toBe(id);
  });
});
