import sharp from 'sharp';
import type { Detection } from '../contracts/detections.js';
import type { Frame } from '../contracts/frame.js';
import type { ViolationType } from '../contracts/violation.js';

/** Box colours by violation type; classes that feed no violation (context) are grey. */
export const BOX_COLORS: Readonly<Record<ViolationType | 'context', string>> = {
  stall: '#ff9800',
  dumping: '#00b4ff',
  burning: '#ff1e1e',
  context: '#b0b0b0',
};

/** DejaVu ships with Debian's fontconfig; Droid Sans Fallback covers CJK where it is installed. */
const FONT_FAMILY = "'DejaVu Sans', 'Droid Sans Fallback', 'Noto Sans CJK SC', sans-serif";

export interface SnapshotOptions {
  /** Header text before the time; defaults to the camera id. */
  title?: string;
  /** IANA time zone for the header time; defaults to the host's. */
  timeZone?: string;
  /** JPEG quality 1..100 (default 85). */
  quality?: number;
  /** Output width in pixels, height follows the picture's aspect (default: the picture as analyzed). */
  width?: number;
}

/** The camera picture of a frame as tight RGB: letterbox padding cut away, BGR swapped. */
export function pictureRgb(frame: Frame): { data: Buffer; width: number; height: number } {
  const { width, height, contentWidth: cw, contentHeight: ch, data } = frame;
  if (!(cw > 0 && ch > 0 && cw <= width && ch <= height)) {
    throw new Error(`frame of ${frame.cameraId}: content ${cw}×${ch} does not fit the ${width}×${height} frame`);
  }
  if (data.length < width * height * 3) throw new Error(`frame of ${frame.cameraId}: ${data.length} bytes, ${width}×${height}×3 expected`);
  if (frame.pixelFormat === 'rgb24' && cw === width) return { data: data.subarray(0, cw * ch * 3), width: cw, height: ch };
  const out = Buffer.allocUnsafe(cw * ch * 3);
  const rowBytes = cw * 3;
  for (let y = 0; y < ch; y++) {
    const src = y * width * 3;
    const dst = y * rowBytes;
    if (frame.pixelFormat === 'rgb24') {
      data.copy(out, dst, src, src + rowBytes);
    } else {
      for (let i = 0; i < rowBytes; i += 3) {
        out[dst + i] = data[src + i + 2]!;
        out[dst + i + 1] = data[src + i + 1]!;
        out[dst + i + 2] = data[src + i]!;
      }
    }
  }
  return { data: out, width: cw, height: ch };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** Black text on light colours, white on dark, so labels stay readable. */
export function textColorOn(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const lum = 0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
  return lum > 150 ? '#000' : '#fff';
}

/** `YYYY-MM-DD HH:mm:ss GMT+8` (or `UTC`) in the given zone. */
export function formatTimestamp(ms: number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'shortOffset',
  }).formatToParts(new Date(ms));
  const p = (type: Intl.DateTimeFormatPartTypes) => parts.find((x) => x.type === type)?.value ?? '';
  // ICU spells a zero offset 'GMT' or 'GMT+0' depending on its version.
  const zone = /^GMT(\+0)?$/.test(p('timeZoneName')) ? 'UTC' : p('timeZoneName');
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')} ${zone}`;
}

/** Rough rendered width: DejaVu Sans averages ~0.6 em (a little more keeps text inside its badge); CJK is 1 em. */
function textWidth(s: string, fontSize: number): number {
  let em = 0;
  for (const ch of s) em += ch.codePointAt(0)! >= 0x2e80 ? 1 : 0.62;
  return em * fontSize;
}

/** SVG overlay of the given size: one rectangle and label per detection, and a header line. */
export function overlaySvg(width: number, height: number, detections: readonly Detection[], header: string): string {
  const fs = Math.max(11, Math.round(width / 45));
  const stroke = Math.max(2, Math.round(width / 320));
  const pad = Math.round(fs * 0.3);
  const clampX = (v: number) => Math.min(width, Math.max(0, v * width));
  const clampY = (v: number) => Math.min(height, Math.max(0, v * height));
  const parts: string[] = [];
  // Draw weaker boxes first so the strongest label ends up on top.
  for (const d of [...detections].sort((a, b) => a.score - b.score)) {
    const color = BOX_COLORS[d.violation ?? 'context'];
    const x1 = clampX(d.box[0]);
    const y1 = clampY(d.box[1]);
    const x2 = clampX(d.box[2]);
    const y2 = clampY(d.box[3]);
    parts.push(`<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${Math.max(0, x2 - x1).toFixed(1)}" height="${Math.max(0, y2 - y1).toFixed(1)}" fill="none" stroke="${color}" stroke-width="${stroke}"/>`);
    const label = `${d.label} ${d.score.toFixed(2)}`;
    const lw = Math.ceil(textWidth(label, fs) + 2 * pad);
    const lh = fs + 2 * pad;
    // Above the box when there is room, else just inside its top edge.
    const ly = y1 - lh >= 0 ? y1 - lh : y1;
    const lx = Math.min(Math.max(0, x1 - stroke / 2), Math.max(0, width - lw));
    parts.push(`<rect x="${lx.toFixed(1)}" y="${ly.toFixed(1)}" width="${lw}" height="${lh}" fill="${color}"/>`);
    parts.push(`<text x="${(lx + pad).toFixed(1)}" y="${(ly + pad + fs * 0.85).toFixed(1)}" fill="${textColorOn(color)}">${escapeXml(label)}</text>`);
  }
  // Bottom-left: cameras usually burn their own clock into the top-left corner.
  const hw = Math.min(width, Math.ceil(textWidth(header, fs) + 2 * pad));
  const hh = fs + 2 * pad;
  parts.push(`<rect x="0" y="${height - hh}" width="${hw}" height="${hh}" fill="#000" fill-opacity="0.6"/>`);
  parts.push(`<text x="${pad}" y="${(height - hh + pad + fs * 0.85).toFixed(1)}" fill="#fff">${escapeXml(header)}</text>`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="${FONT_FAMILY}" font-size="${fs}">${parts.join('')}</svg>`
  );
}

/**
 * A JPEG of the camera picture in `frame` with `detections` drawn on it (boxes normalized to the
 * picture, as detections are) and a header with the camera and time. The letterbox padding is cut away.
 */
export async function renderSnapshot(frame: Frame, detections: readonly Detection[], opts: SnapshotOptions = {}): Promise<Buffer> {
  const pic = pictureRgb(frame);
  const outW = opts.width ? Math.max(1, Math.round(opts.width)) : pic.width;
  const outH = opts.width ? Math.max(1, Math.round((pic.height * outW) / pic.width)) : pic.height;
  const header = `${opts.title ?? frame.cameraId}  ${formatTimestamp(frame.timestamp, opts.timeZone)}`;
  let img = sharp(pic.data, { raw: { width: pic.width, height: pic.height, channels: 3 } });
  if (outW !== pic.width || outH !== pic.height) img = img.resize(outW, outH, { kernel: 'lanczos3' });
  return img
    .composite([{ input: Buffer.from(overlaySvg(outW, outH, detections, header)), top: 0, left: 0 }])
    .jpeg({ quality: opts.quality ?? 85, chromaSubsampling: '4:4:4' }) // full-resolution colour keeps thin boxes their colour
    .toBuffer();
}
