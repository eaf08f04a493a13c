/** The two codecs the keyframe decoders take (what the in-process RTSP client depacketizes). */
export type KeyframeCodec = 'h264' | 'h265';

/** ffmpeg's raw-stream demuxer names. */
export const FFMPEG_RAW_FORMAT: Record<KeyframeCodec, string> = { h264: 'h264', h265: 'hevc' };

/**
 * An access unit delimiter: written after each keyframe, it tells ffmpeg's raw-stream parser that the
 * keyframe's access unit is complete. Without it the parser holds the picture until the next one starts,
 * i.e. one keyframe (5 s) late.
 */
export const ACCESS_UNIT_DELIMITER: Record<KeyframeCodec, Buffer> = {
  // nal_unit_type 9, primary_pic_type 7 (any slice type)
  h264: Buffer.from([0, 0, 0, 1, 0x09, 0xf0]),
  // nal_unit_type 35, layer 0, tid 1; pic_type 2 (any)
  h265: Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]),
};

export function nalType(codec: KeyframeCodec, nal: Buffer): number {
  const b = nal[0] ?? 0;
  return codec === 'h264' ? b & 0x1f : (b >> 1) & 0x3f;
}

export const SPS_TYPE: Record<KeyframeCodec, number> = { h264: 7, h265: 33 };

/** The NAL units of an Annex-B buffer (start codes of 3 or 4 bytes), without their start codes. */
export function splitNalUnits(data: Buffer): Buffer[] {
  const starts: Array<{ at: number; len: number }> = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      const four = i > 0 && data[i - 1] === 0;
      starts.push({ at: four ? i - 1 : i, len: four ? 4 : 3 });
      i += 2;
    }
  }
  const out: Buffer[] = [];
  starts.forEach((s, k) => {
    const end = k + 1 < starts.length ? starts[k + 1]!.at : data.length;
    const nal = data.subarray(s.at + s.len, end);
    if (nal.length > 0) out.push(nal);
  });
  return out;
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

export function joinNalUnits(nals: readonly Buffer[]): Buffer {
  return Buffer.concat(nals.flatMap((n) => [START_CODE, n]));
}

/** NAL payload → RBSP: drops the emulation-prevention byte of every 00 00 03. */
export function toRbsp(nal: Buffer): Buffer {
  const out = Buffer.allocUnsafe(nal.length);
  let n = 0;
  let zeros = 0;
  for (const b of nal) {
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

/** RBSP → NAL payload: a 03 after every 00 00 that a byte ≤ 03 follows. */
export function fromRbsp(rbsp: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

/**
 * An H.265 RASL picture (nal_unit_type 8 or 9): a leading picture of a CRA that references the GOP before
 * it, so it is not decoded (and makes no picture) when decoding starts at that CRA. Trailing pictures never
 * reference it.
 */
export function isRaslPicture(annexB: Buffer): boolean {
  const vcl = splitNalUnits(annexB).find((n) => nalType('h265', n) < 32);
  const type = vcl ? nalType('h265', vcl) : undefined;
  return type === 8 || type === 9;
}
