import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromRbsp, joinNalUnits, splitNalUnits, toRbsp } from '../../src/decode/annex-b.js';
import { prepareKeyframe } from '../../src/decode/decoder-pool.js';
import { readSps, SpsError, withoutReorderDelay } from '../../src/decode/sps.js';

// SPS NAL units (header included) as the GStreamer test server sent them, encoded by ffmpeg 5.1's libx264 / libx265.
const SPS = {
  /** x264 baseline 704×576, VUI with bitstream_restriction (no reorder). */
  h264Baseline: '6742c01eda02c049b011000003000100000300320f162ea0',
  /** x264 main 704×576 with -bf 3: max_num_reorder_frames 2. */
  h264Main: '674d401eeca05809360220000003002000000641e2c5b2c0',
  /** x264 high 1280×720 (scaling/chroma fields present), -bf 2. */
  h264High: '6764001facd9405005bb011000000300100000030320f1831960',
  /** x264 baseline 1920×1080: 1088 coded, cropped by 8. */
  h264Cropped: '6742c028da01e0089f97011000000300100000030320f1832a',
  /** x265 704×576, 4 B-frames: sps_max_num_reorder_pics 2. */
  h265: '42010101600000030090000003000003005aa0058200905965664a4c2f016808000003000800000300c840',
  /** x265 1920×1080 (1088 coded, conformance window). */
  h265Cropped: '420101016000000300900000030000030078a003c0801107cb965654a4c2f0168080000003008000000c84',
};
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** Baseline 704×576 with no VUI at all (built bit by bit: profile 66, level 30, poc type 2, one ref frame). */
function noVuiSps(): Buffer {
  const bits = '01100111' + '01000010' + '11000000' + '00011110' + '1' + '1' + '011' + '010' + '0' + '00000101100' + '00000100100' + '1' + '1' + '0' + '0' + '1';
  const padded = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
  return fromRbsp(Buffer.from(padded.match(/.{8}/g)!.map((b) => parseInt(b, 2))));
}

describe('SPS: picture size', () => {
  it('reads the displayed size of H.264 (baseline, main, high, cropped) and H.265 (with conformance window)', () => {
    expect(readSps('h264', hex(SPS.h264Baseline))).toEqual({ width: 704, height: 576 });
    expect(readSps('h264', hex(SPS.h264Main))).toEqual({ width: 704, height: 576 });
    expect(readSps('h264', hex(SPS.h264High))).toEqual({ width: 1280, height: 720 });
    expect(readSps('h264', hex(SPS.h264Cropped))).toEqual({ width: 1920, height: 1080 });
    expect(readSps('h264', noVuiSps())).toEqual({ width: 704, height: 576 });
    expect(readSps('h265', hex(SPS.h265))).toEqual({ width: 704, height: 576 });
    expect(readSps('h265', hex(SPS.h265Cropped))).toEqual({ width: 1920, height: 1080 });
  });

  it('throws SpsError (never anything else) on truncated or random bytes', () => {
    expect(() => readSps('h264', hex(SPS.h264High).subarray(0, 6))).toThrow(SpsError);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.constantFrom('h264' as const, 'h265' as const), (bytes, codec) => {
        try {
          readSps(codec, Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(SpsError);
        }
      }),
    );
  });
});

describe('SPS rewrite: no reorder delay', () => {
  it('keeps the size and declares no delay; an SPS already without delay keeps its meaning', () => {
    for (const [codec, s] of [['h264', SPS.h264Baseline], ['h264', SPS.h264Main], ['h264', SPS.h264High], ['h264', SPS.h264Cropped], ['h265', SPS.h265], ['h265', SPS.h265Cropped]] as const) {
      const out = withoutReorderDelay(codec, hex(s));
      expect(readSps(codec, out)).toEqual(readSps(codec, hex(s)));
      // Rewriting again changes nothing: the delay fields are already 0.
      expect(withoutReorderDelay(codec, out).equals(out)).toBe(true);
    }
    // The baseline SPS already declares 0: its bytes stay as they were.
    expect(withoutReorderDelay('h264', hex(SPS.h264Baseline)).toString('hex')).toBe(SPS.h264Baseline);
  });

  it('adds a bitstream restriction to an H.264 SPS with no VUI', () => {
    const out = withoutReorderDelay('h264', noVuiSps());
    expect(out.length).toBeGreaterThan(noVuiSps().length);
    expect(readSps('h264', out)).toEqual({ width: 704, height: 576 });
    expect(withoutReorderDelay('h264', out).equals(out)).toBe(true);
  });
});

describe('Annex-B', () => {
  it('splits on 3- and 4-byte start codes and joins back', () => {
    const a = Buffer.from([0x67, 1, 2]);
    const b = Buffer.from([0x68, 3]);
    const c = Buffer.from([0x65, 0, 0, 0, 9]);
    const stream = Buffer.concat([Buffer.from([0, 0, 0, 1]), a, Buffer.from([0, 0, 1]), b, Buffer.from([0, 0, 0, 1]), c]);
    // 00 00 00 09 inside c is no start code (that needs 00 00 01).
    expect(splitNalUnits(stream)).toEqual([a, b, c]);
    expect(splitNalUnits(joinNalUnits([a, b]))).toEqual([a, b]);
  });

  it('emulation prevention round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const rbsp = Buffer.from(bytes);
        expect(toRbsp(fromRbsp(rbsp))).toEqual(rbsp);
      }),
    );
  });

  it('prepareKeyframe: size from the SPS, the SPS rewritten, the other units untouched; no SPS is an error', () => {
    const idr = Buffer.from([0x65, 0x88, 0x84]);
    const pps = Buffer.from([0x68, 0xce, 0x38, 0x80]);
    const p = prepareKeyframe('h264', joinNalUnits([hex(SPS.h264Main), pps, idr]));
    expect([p.width, p.height]).toEqual([704, 576]);
    const units = splitNalUnits(p.data);
    expect(units[0]).toEqual(withoutReorderDelay('h264', hex(SPS.h264Main)));
    expect(units.slice(1)).toEqual([pps, idr]);
    expect(() => prepareKeyframe('h264', joinNalUnits([pps, idr]))).toThrow(/carries no SPS/);
  });
});
