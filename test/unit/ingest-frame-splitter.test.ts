import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameSplitter } from '../../src/decode/frame-splitter.js';

describe('FrameSplitter', () => {
  it('reassembles frames from chunks of any size, in order, byte for byte', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 6 }), fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1 }), (frameBytes, frames, cuts) => {
        const partial = frameBytes - 1; // an incomplete frame at the end stays pending
        const stream = Buffer.from(Array.from({ length: frameBytes * frames + partial }, (_, i) => i % 251));
        const s = new FrameSplitter(frameBytes);
        const out: Buffer[] = [];
        let offset = 0;
        for (let i = 0; offset < stream.length; i++) {
          const n = cuts[i % cuts.length]!;
          out.push(...s.push(stream.subarray(offset, offset + n)));
          offset += n;
        }
        expect(out).toHaveLength(frames);
        expect(Buffer.concat(out)).toEqual(stream.subarray(0, frameBytes * frames));
        expect(s.pendingBytes).toBe(partial);
      }),
    );
  });

  it('gives each frame its own buffer (consumers may keep them)', () => {
    const s = new FrameSplitter(2);
    const [a, b] = s.push(Buffer.from([1, 2, 3, 4]));
    expect(a).not.toBe(b);
    expect([...a!, ...b!]).toEqual([1, 2, 3, 4]);
  });

  it('rejects a nonsense frame size', () => {
    expect(() => new FrameSplitter(0)).toThrow(RangeError);
    expect(() => new FrameSplitter(1.5)).toThrow(RangeError);
  });
});
