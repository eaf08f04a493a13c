import type { ClipCodec } from '../contracts/clip-span.js';

/**
 * A minimal MPEG-TS writer for one video stream: the access units of a native camera's clip, each one PES
 * packet with its own PTS (and DTS when they differ), so that ffmpeg can stream-copy them into an MP4 with
 * the camera's real timing. A raw Annex-B stream has no timestamps: ffmpeg would invent them from a frame
 * rate (its mp4 muxer warns "pts has no value" for every packet, and a camera's variable rate or a lost
 * frame would stretch or shrink the clip). Times come from the RTP clock. Pure.
 */

const PACKET = 188;
const PMT_PID = 0x1000;
const VIDEO_PID = 0x100;
/** ISO/IEC 13818-1 stream_type: 0x1b AVC, 0x24 HEVC. */
const STREAM_TYPE: Record<ClipCodec, number> = { h264: 0x1b, h265: 0x24 };

export interface TsUnit {
  data: Buffer;
  keyframe: boolean;
  /** Presentation time, ms (any origin; B-frames may step back). */
  ptsMs: number;
}

/**
 * Decoding timestamps for presentation times given in decoding order, both on the 90 kHz clock from 0:
 * the sorted presentation times shifted back by the largest reorder (so DTS ≤ PTS and DTS strictly rises).
 */
export function timestamps90k(ptsMs: readonly number[]): Array<{ pts: number; dts: number }> {
  const pts = spreadRepeats(ptsMs).map((ms) => Math.round(ms * 90));
  const sorted = [...pts].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]! <= sorted[i - 1]!) sorted[i] = sorted[i - 1]! + 1;
  let delay = 0;
  for (let i = 0; i < pts.length; i++) delay = Math.max(delay, sorted[i]! - pts[i]!);
  const base = (sorted[0] ?? 0) - delay;
  return pts.map((p, i) => ({ pts: p - base, dts: sorted[i]! - delay - base }));
}

/**
 * Units in a row that carry one presentation time, or nearly (a camera under load stamps several on arrival at its
 * clock's resolution), share the time up to the next unit's evenly; a repeated run at the end steps by the usual frame
 * interval. Two pictures at one instant are not a stream a player or ffmpeg accepts. Pure.
 */
export function spreadRepeats(ptsMs: readonly number[]): number[] {
  const out = [...ptsMs];
  const steps = out.slice(1).map((t, i) => t - out[i]!).filter((d) => d > 0).sort((a, b) => a - b);
  const usual = steps.length > 0 ? steps[Math.floor(steps.length / 2)]! : 40;
  for (let i = 0; i < out.length; ) {
    let j = i + 1;
    // Closer than a quarter frame counts as the same instant: ffmpeg's frame-rate time base would merge them.
    while (j < out.length && out[j]! - out[j - 1]! >= 0 && out[j]! - out[j - 1]! < usual / 4) j++;
    if (j - i > 1) {
      const next = out[j];
      const step = next !== undefined && next > out[i]! ? (next - out[i]!) / (j - i) : usual;
      for (let k = 1; k < j - i; k++) out[i + k] = out[i]! + k * step;
    }
    i = j;
  }
  return out;
}

/** The whole stream: PAT and PMT, then each unit as one PES. */
export function writeMpegTs(codec: ClipCodec, units: readonly TsUnit[]): Buffer[] {
  const out: Buffer[] = [];
  const cc = { pat: 0, pmt: 0, video: 0 };
  out.push(psiPacket(0, cc.pat++, pat()), psiPacket(PMT_PID, cc.pmt++, pmt(codec)));
  const times = timestamps90k(units.map((u) => u.ptsMs));
  units.forEach((u, i) => {
    const { pts, dts } = times[i]!;
    const pes = Buffer.concat([pesHeader(pts, dts), u.data]);
    // The first packet carries the PCR (the DTS) and, on a keyframe, the random access flag.
    let at = 0;
    let first = true;
    while (at < pes.length) {
      const af = first ? [(u.keyframe ? 0x40 : 0) | 0x10, ...pcrBytes(dts)] : undefined;
      const room = 184 - (af ? 1 + af.length : 0);
      const chunk = pes.subarray(at, at + room);
      out.push(tsPacket(VIDEO_PID, first, cc.video, af, chunk));
      cc.video = (cc.video + 1) & 0xf;
      at += chunk.length;
      first = false;
    }
  });
  return out;
}

function tsPacket(pid: number, start: boolean, cc: number, af: number[] | undefined, payload: Buffer): Buffer {
  const out = Buffer.alloc(PACKET, 0xff);
  out[0] = 0x47;
  out[1] = (start ? 0x40 : 0) | ((pid >> 8) & 0x1f);
  out[2] = pid & 0xff;
  // Whatever the payload leaves of the 184 bytes is the adaptation field (its content, then stuffing).
  const room = 184 - payload.length;
  out[3] = (room > 0 ? 0x30 : 0x10) | (cc & 0xf);
  if (room > 0) {
    out[4] = room - 1;
    if (room > 1) Buffer.from(af ?? [0x00]).copy(out, 5);
  }
  payload.copy(out, 4 + room);
  return out;
}

function psiPacket(pid: number, cc: number, section: Buffer): Buffer {
  const payload = Buffer.alloc(184, 0xff);
  payload[0] = 0; // pointer_field
  section.copy(payload, 1);
  return tsPacket(pid, true, cc, undefined, payload);
}

function pat(): Buffer {
  return withCrc([0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff]);
}

function pmt(codec: ClipCodec): Buffer {
  const pid = [0xe0 | (VIDEO_PID >> 8), VIDEO_PID & 0xff];
  return withCrc([0x02, 0xb0, 0x12, 0x00, 0x01, 0xc1, 0x00, 0x00, ...pid, 0xf0, 0x00, STREAM_TYPE[codec], ...pid, 0xf0, 0x00]);
}

function pesHeader(pts: number, dts: number): Buffer {
  const both = pts !== dts;
  const h = [0x00, 0x00, 0x01, 0xe0, 0x00, 0x00, 0x80, both ? 0xc0 : 0x80, both ? 10 : 5, ...timeField(both ? 3 : 2, pts)];
  if (both) h.push(...timeField(1, dts));
  return Buffer.from(h);
}

/** A 33-bit PTS/DTS with its 4-bit prefix and marker bits (arithmetic, not bit operators: 33 bits). */
function timeField(prefix: number, t: number): number[] {
  const v = t % 2 ** 33;
  const hi = Math.floor(v / 2 ** 30);
  const mid = Math.floor(v / 2 ** 15) % 2 ** 15;
  const lo = v % 2 ** 15;
  return [(prefix << 4) | (hi << 1) | 1, mid >> 7, ((mid & 0x7f) << 1) | 1, lo >> 7, ((lo & 0x7f) << 1) | 1];
}

function pcrBytes(t: number): number[] {
  const base = t % 2 ** 33;
  const top = Math.floor(base / 2); // the upper 32 bits
  return [(top >>> 24) & 0xff, (top >>> 16) & 0xff, (top >>> 8) & 0xff, top & 0xff, ((base % 2) << 7) | 0x7e, 0x00];
}

function withCrc(section: number[]): Buffer {
  const crc = crc32Mpeg(section);
  return Buffer.from([...section, (crc >>> 24) & 0xff, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]);
}

/** CRC-32/MPEG-2 (polynomial 0x04c11db7, not reflected), as PSI sections carry it. */
export function crc32Mpeg(bytes: readonly number[]): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}
