import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Detection } from '../../src/contracts/detections.js';
import type { Frame } from '../../src/contracts/frame.js';
import { BOX_COLORS, formatTimestamp, overlaySvg, pictureRgb, renderSnapshot } from '../../src/evidence/snapshot.js';

/** A letterboxed frame: picture cw×ch filled with `rgb`, the rest grey 114. */
function makeFrame(opts: { width?: number; height?: number; cw?: number; ch?: number; rgb?: [number, number, number]; pixelFormat?: Frame['pixelFormat'] } = {}): Frame {
  const { width = 320, height = 320, cw = 320, ch = 240, rgb = [40, 40, 40], pixelFormat = 'rgb24' } = opts;
  const data = Buffer.alloc(width * height * 3, 114);
  const px = pixelFormat === 'rgb24' ? rgb : [rgb[2], rgb[1], rgb[0]];
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++) {
      const i = (y * width + x) * 3;
      data[i] = px[0]!;
      data[i + 1] = px[1]!;
      data[i + 2] = px[2]!;
    }
  return { cameraId: 'cam-7', timestamp: Date.UTC(2026, 0, 2, 3, 4, 5), ptsMs: 0, data, pixelFormat, width, height, contentWidth: cw, contentHeight: ch, sourceWidth: 704, sourceHeight: 528 };
}

async function decode(jpeg: Buffer) {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => {
    const i = (y * info.width + x) * info.channels;
    return [data[i]!, data[i + 1]!, data[i + 2]!] as const;
  };
  return { info, at };
}

const hex = (h: string) => [Number.parseInt(h.slice(1, 3), 16), Number.parseInt(h.slice(3, 5), 16), Number.parseInt(h.slice(5, 7), 16)] as const;
const near = (a: readonly number[], b: readonly number[], tol = 40) => a.every((v, i) => Math.abs(v - b[i]!) <= tol);

const stallBox: Detection = { classId: 0, label: 'stall', score: 0.87, box: [0.25, 0.25, 0.75, 0.75], violation: 'stall' };

describe('renderSnapshot', () => {
  it('produces a JPEG of the picture size (letterbox cut away) with the box drawn in its colour', async () => {
    const jpeg = await renderSnapshot(makeFrame(), [stallBox], { timeZone: 'UTC' });
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect((await sharp(jpeg).metadata()).format).toBe('jpeg');
    const { info, at } = await decode(jpeg);
    expect([info.width, info.height]).toEqual([320, 240]);
    // Left edge of the box, halfway down: x = 0.25 × 320, y = 0.5 × 240.
    expect(near(at(80, 120), hex(BOX_COLORS.stall))).toBe(true);
    expect(near(at(240, 150), hex(BOX_COLORS.stall))).toBe(true);
    // Inside and outside the box the picture is untouched.
    expect(near(at(160, 140), [40, 40, 40], 12)).toBe(true);
    expect(near(at(20, 100), [40, 40, 40], 12)).toBe(true);
  });

  it('colours follow the violation type; context classes are grey', async () => {
    const dets: Detection[] = [
      { classId: 1, label: 'trash', score: 0.7, box: [0.1, 0.5, 0.3, 0.9], violation: 'dumping' },
      { classId: 2, label: 'fire', score: 0.9, box: [0.6, 0.5, 0.8, 0.9], violation: 'burning' },
      { classId: 3, label: 'bin', score: 0.6, box: [0.4, 0.5, 0.5, 0.9] },
    ];
    const { at } = await decode(await renderSnapshot(makeFrame(), dets, { timeZone: 'UTC' }));
    expect(near(at(32, 170), hex(BOX_COLORS.dumping))).toBe(true);
    expect(near(at(192, 170), hex(BOX_COLORS.burning))).toBe(true);
    expect(near(at(128, 170), hex(BOX_COLORS.context))).toBe(true);
  });

  it('reads BGR frames in the right channel order', async () => {
    const frame = makeFrame({ rgb: [20, 60, 200], pixelFormat: 'bgr24' });
    const { at } = await decode(await renderSnapshot(frame, [], { timeZone: 'UTC' }));
    expect(near(at(160, 60), [20, 60, 200], 15)).toBe(true);
  });

  it('crops a side letterbox (content narrower than the frame)', async () => {
    const frame = makeFrame({ width: 320, height: 320, cw: 240, ch: 320, rgb: [200, 30, 30] });
    const { info, at } = await decode(await renderSnapshot(frame, [], { timeZone: 'UTC' }));
    expect([info.width, info.height]).toEqual([240, 320]);
    expect(near(at(235, 100), [200, 30, 30], 20)).toBe(true);
  });

  it('can scale the output, keeping the aspect and the box position', async () => {
    const { info, at } = await decode(await renderSnapshot(makeFrame(), [stallBox], { width: 640, timeZone: 'UTC' }));
    expect([info.width, info.height]).toEqual([640, 480]);
    expect(near(at(160, 240), hex(BOX_COLORS.stall))).toBe(true);
  });

  it('draws a header with camera and time in the bottom-left corner', async () => {
    const { at } = await decode(await renderSnapshot(makeFrame({ rgb: [200, 200, 200] }), [], { timeZone: 'UTC' }));
    // The header band is dark on a light picture.
    expect(at(2, 238)[0]).toBeLessThan(150);
    expect(at(300, 238)[0]).toBeGreaterThan(170);
  });

  it('clamps boxes that poke out of the picture', async () => {
    const d: Detection = { ...stallBox, box: [-0.2, -0.1, 1.3, 1.2] };
    const jpeg = await renderSnapshot(makeFrame(), [d], { timeZone: 'UTC' });
    const { info } = await decode(jpeg);
    expect(info.width).toBe(320);
  });
});

describe('overlaySvg', () => {
  it('escapes labels and has one rect per box plus badges', () => {
    const svg = overlaySvg(100, 100, [{ ...stallBox, label: '<a&b>' }], 'cam "x"');
    expect(svg).toContain('&lt;a&amp;b&gt; 0.87');
    expect(svg).toContain('cam &quot;x&quot;');
    expect(svg).not.toContain('<a&b>');
    expect(svg.match(/<rect /g)).toHaveLength(3);
  });
});

describe('pictureRgb', () => {
  it('returns the content region only', () => {
    const p = pictureRgb(makeFrame({ cw: 100, ch: 50 }));
    expect([p.width, p.height, p.data.length]).toEqual([100, 50, 100 * 50 * 3]);
  });
  it('rejects inconsistent sizes', () => {
    expect(() => pictureRgb({ ...makeFrame(), contentWidth: 400 })).toThrow(/does not fit/);
    expect(() => pictureRgb({ ...makeFrame(), data: Buffer.alloc(10) })).toThrow(/bytes/);
  });
});

describe('formatTimestamp', () => {
  it('formats in the given time zone', () => {
    const t = Date.UTC(2026, 0, 2, 3, 4, 5);
    expect(formatTimestamp(t, 'UTC')).toBe('2026-01-02 03:04:05 UTC');
    expect(formatTimestamp(t, 'Asia/Shanghai')).toBe('2026-01-02 11:04:05 GMT+8');
  });
});
