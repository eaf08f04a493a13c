import sharp from 'sharp';
import type { Frame } from '../contracts/frame.js';

export interface ImageFrameOptions {
  width: number;
  height: number;
  padValue?: number;
  pixelFormat?: Frame['pixelFormat'];
  cameraId?: string;
  timestamp?: number;
}

/**
 * Decode a still image and letterbox it like ingest does (scale to fit, keep aspect, picture at top-left,
 * pad right/bottom with grey). For tests, benchmarks and single images; live video goes through ffmpeg.
 */
export async function frameFromImage(input: string | Buffer, o: ImageFrameOptions): Promise<Frame> {
  const img = sharp(input).removeAlpha();
  const meta = await img.metadata();
  const sw = meta.width;
  const sh = meta.height;
  if (!sw || !sh) throw new Error(`frameFromImage: cannot read the size of ${typeof input === 'string' ? input : 'buffer'}`);
  const r = Math.min(o.width / sw, o.height / sh);
  const cw = Math.min(o.width, Math.max(1, Math.round(sw * r)));
  const ch = Math.min(o.height, Math.max(1, Math.round(sh * r)));
  const pad = o.padValue ?? 114;
  const { data } = await img
    .resize(cw, ch, { fit: 'fill', kernel: 'linear' })
    .extend({ top: 0, left: 0, right: o.width - cw, bottom: o.height - ch, background: { r: pad, g: pad, b: pad } })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixelFormat = o.pixelFormat ?? 'rgb24';
  if (pixelFormat === 'bgr24') {
    for (let j = 0; j < data.length; j += 3) {
      const t = data[j]!;
      data[j] = data[j + 2]!;
      data[j + 2] = t;
    }
  }
  return {
    cameraId: o.cameraId ?? 'image',
    timestamp: o.timestamp ?? 0,
    ptsMs: 0,
    data,
    pixelFormat,
    width: o.width,
    height: o.height,
    contentWidth: cw,
    contentHeight: ch,
    sourceWidth: sw,
    sourceHeight: sh,
  };
}
