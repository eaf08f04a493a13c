import { fromRbsp, toRbsp, type KeyframeCodec } from './annex-b.js';

/**
 * Reads the picture size from an H.264 or H.265 sequence parameter set, and rewrites an SPS so the decoder
 * outputs each picture as soon as it is decoded.
 *
 * Why rewrite: a stream with B-frames declares a reorder delay (x264 main/high with -bf 3: 2 pictures; x265's
 * default: 4), and ffmpeg's decoders then hold that many pictures back — fed one keyframe every 5 s, each
 * frame would come out 2–4 keyframes (10–20 s) late (measured on both codecs; `-flags low_delay` and an
 * end-of-sequence NAL do not change it). A keyframe decoded alone has nothing to reorder, so declaring no
 * delay is true for what the decoder is given.
 */

export interface SpsInfo {
  /** Displayed size (cropping / conformance window applied). */
  width: number;
  height: number;
}

export class SpsError extends Error {
  override name = 'SpsError';
}

class BitReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get bitLength(): number {
    return this.buf.length * 8;
  }

  bit(): number {
    if (this.pos >= this.bitLength) throw new SpsError('SPS ends early');
    const v = (this.buf[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }

  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  skip(n: number): void {
    if (this.pos + n > this.bitLength) throw new SpsError('SPS ends early');
    this.pos += n;
  }

  /** Exp-Golomb ue(v). */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new SpsError('invalid exp-Golomb code in SPS');
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

class BitWriter {
  private readonly bitsOut: number[] = [];

  bit(v: number): void {
    this.bitsOut.push(v & 1);
  }

  bits(v: number, n: number): void {
    for (let i = n - 1; i >= 0; i--) this.bit(Math.floor(v / 2 ** i) % 2);
  }

  ue(v: number): void {
    const len = Math.floor(Math.log2(v + 1));
    this.bits(0, len);
    this.bits(v + 1, len + 1);
  }

  /** Copies bits [from, to) of an RBSP. */
  copy(src: Buffer, from: number, to: number): void {
    for (let p = from; p < to; p++) this.bit((src[p >> 3]! >> (7 - (p & 7))) & 1);
  }

  /** rbsp_trailing_bits, then the bytes. */
  finish(): Buffer {
    this.bit(1);
    while (this.bitsOut.length % 8 !== 0) this.bit(0);
    const out = Buffer.alloc(this.bitsOut.length / 8);
    this.bitsOut.forEach((b, i) => {
      if (b) out[i >> 3]! |= 0x80 >> (i & 7);
    });
    return out;
  }
}

/** An ue(v) field's place in the RBSP, for rewriting. */
interface Field {
  start: number;
  end: number;
}

interface Parsed extends SpsInfo {
  /** The fields that declare a reorder/latency delay (set to 0 on rewrite). */
  delayFields: Field[];
  /** H.264 without bitstream_restriction: where to add one, and the VUI flag that must then be 1. */
  addRestriction?: { at: number; vuiFlagAt?: number; maxRefFrames: number };
  /** Bit position of the rbsp_stop_one_bit. */
  payloadEnd: number;
}

function payloadEnd(rbsp: Buffer): number {
  for (let i = rbsp.length - 1; i >= 0; i--) {
    const b = rbsp[i]!;
    if (b !== 0) {
      let bit = 7;
      while (((b >> (7 - bit)) & 1) === 0) bit--;
      return i * 8 + bit;
    }
  }
  throw new SpsError('SPS has no stop bit');
}

function field(r: BitReader): Field {
  const start = r.pos;
  r.ue();
  return { start, end: r.pos };
}

const H264_HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function parseH264(rbsp: Buffer): Parsed {
  const r = new BitReader(rbsp);
  r.skip(8); // NAL header
  const profile = r.bits(8);
  r.skip(16); // constraint flags, level_idc
  r.ue(); // seq_parameter_set_id
  let chromaFormat = 1;
  let separatePlanes = false;
  if (H264_HIGH_PROFILES.has(profile)) {
    chromaFormat = r.ue();
    if (chromaFormat === 3) separatePlanes = r.bit() === 1;
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.bit()) {
      const lists = chromaFormat !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.skip(1);
    r.se();
    r.se();
    const n = r.ue();
    if (n > 255) throw new SpsError('SPS: too many ref frames in POC cycle');
    for (let i = 0; i < n; i++) r.se();
  }
  const maxRefFrames = r.ue();
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightUnits = r.ue() + 1;
  const frameMbsOnly = r.bit();
  if (!frameMbsOnly) r.skip(1);
  r.skip(1); // direct_8x8_inference_flag
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.bit()) {
    crop.left = r.ue();
    crop.right = r.ue();
    crop.top = r.ue();
    crop.bottom = r.ue();
  }
  const arrayType = separatePlanes ? 0 : chromaFormat;
  const subWidth = arrayType === 1 || arrayType === 2 ? 2 : 1;
  const subHeight = arrayType === 1 ? 2 : 1;
  const cropX = arrayType === 0 ? 1 : subWidth;
  const cropY = (arrayType === 0 ? 1 : subHeight) * (2 - frameMbsOnly);
  const width = widthMbs * 16 - cropX * (crop.left + crop.right);
  const height = (2 - frameMbsOnly) * heightUnits * 16 - cropY * (crop.top + crop.bottom);
  const end = payloadEnd(rbsp);

  const vuiFlagAt = r.pos;
  if (!r.bit()) return { width, height, delayFields: [], addRestriction: { at: r.pos, vuiFlagAt, maxRefFrames }, payloadEnd: end };
  if (r.bit() && r.bits(8) === 255) r.skip(32); // aspect_ratio_info: idc, Extended_SAR
  if (r.bit()) r.skip(1); // overscan
  if (r.bit()) {
    r.skip(4); // video_format, video_full_range_flag
    if (r.bit()) r.skip(24); // colour description
  }
  if (r.bit()) {
    r.ue();
    r.ue();
  }
  if (r.bit()) r.skip(65); // timing info
  const nalHrd = r.bit();
  if (nalHrd) skipHrd(r);
  const vclHrd = r.bit();
  if (vclHrd) skipHrd(r);
  if (nalHrd || vclHrd) r.skip(1); // low_delay_hrd_flag
  r.skip(1); // pic_struct_present_flag
  const restrictionAt = r.pos;
  if (!r.bit()) return { width, height, delayFields: [], addRestriction: { at: restrictionAt + 1, maxRefFrames }, payloadEnd: end };
  r.skip(1);
  r.ue();
  r.ue();
  r.ue();
  r.ue();
  const reorder = field(r);
  r.ue(); // max_dec_frame_buffering
  return { width, height, delayFields: [reorder], payloadEnd: end };
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

function skipHrd(r: BitReader): void {
  const count = r.ue() + 1;
  if (count > 32) throw new SpsError('SPS: invalid HRD cpb count');
  r.skip(8);
  for (let i = 0; i < count; i++) {
    r.ue();
    r.ue();
    r.skip(1);
  }
  r.skip(20);
}

function parseH265(rbsp: Buffer): Parsed {
  const r = new BitReader(rbsp);
  r.skip(16); // NAL header
  r.skip(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.bits(3);
  r.skip(1); // temporal_id_nesting
  // profile_tier_level(1, maxSubLayersMinus1)
  r.skip(88 + 8); // general profile (88 bits) and general_level_idc
  const subProfile: boolean[] = [];
  const subLevel: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    subProfile.push(r.bit() === 1);
    subLevel.push(r.bit() === 1);
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1));
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (subProfile[i]) r.skip(88);
    if (subLevel[i]) r.skip(8);
  }
  r.ue(); // sps_seq_parameter_set_id
  const chromaFormat = r.ue();
  let separatePlanes = false;
  if (chromaFormat === 3) separatePlanes = r.bit() === 1;
  let width = r.ue();
  let height = r.ue();
  if (r.bit()) {
    const arrayType = separatePlanes ? 0 : chromaFormat;
    const subWidth = arrayType === 1 || arrayType === 2 ? 2 : 1;
    const subHeight = arrayType === 1 ? 2 : 1;
    const left = r.ue();
    const right = r.ue();
    const top = r.ue();
    const bottom = r.ue();
    width -= subWidth * (left + right);
    height -= subHeight * (top + bottom);
  }
  r.ue(); // bit_depth_luma_minus8
  r.ue(); // bit_depth_chroma_minus8
  r.ue(); // log2_max_pic_order_cnt_lsb_minus4
  const allLayers = r.bit();
  const delayFields: Field[] = [];
  for (let i = allLayers ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.ue(); // sps_max_dec_pic_buffering_minus1
    delayFields.push(field(r)); // sps_max_num_reorder_pics
    delayFields.push(field(r)); // sps_max_latency_increase_plus1
  }
  return { width, height, delayFields, payloadEnd: payloadEnd(rbsp) };
}

function parse(codec: KeyframeCodec, nal: Buffer): { rbsp: Buffer; parsed: Parsed } {
  const rbsp = toRbsp(nal);
  const parsed = codec === 'h264' ? parseH264(rbsp) : parseH265(rbsp);
  if (!(parsed.width > 0 && parsed.height > 0 && parsed.width <= 16_384 && parsed.height <= 16_384)) {
    throw new SpsError(`SPS declares an impossible picture size ${parsed.width}×${parsed.height}`);
  }
  return { rbsp, parsed };
}

/** The displayed picture size an SPS declares. Throws SpsError on an SPS it cannot read. */
export function readSps(codec: KeyframeCodec, nal: Buffer): SpsInfo {
  const { width, height } = parse(codec, nal).parsed;
  return { width, height };
}

/**
 * The reorder delay an SPS declares (H.264 max_num_reorder_frames, H.265 the highest sub-layer's
 * sps_max_num_reorder_pics): > 0 means the stream may carry B-frames. Undefined when the SPS does not say
 * (H.264 without bitstream_restriction). Throws SpsError on an SPS it cannot read.
 */
export function declaredReorderDelay(codec: KeyframeCodec, nal: Buffer): number | undefined {
  const { rbsp, parsed } = parse(codec, nal);
  if (parsed.addRestriction) return undefined;
  // H.264: [reorder]; H.265: [reorder, latency] per sub-layer.
  const reorderFields = codec === 'h264' ? parsed.delayFields : parsed.delayFields.filter((_, i) => i % 2 === 0);
  if (reorderFields.length === 0) return undefined;
  return Math.max(
    ...reorderFields.map((f) => {
      const r = new BitReader(rbsp);
      r.pos = f.start;
      return r.ue();
    }),
  );
}

/** The same SPS declaring no reorder delay (see the file comment). Throws SpsError on an SPS it cannot read. */
export function withoutReorderDelay(codec: KeyframeCodec, nal: Buffer): Buffer {
  const { rbsp, parsed } = parse(codec, nal);
  const w = new BitWriter();
  let at = 0;
  if (parsed.addRestriction) {
    const add = parsed.addRestriction;
    if (add.vuiFlagAt !== undefined) {
      // No VUI at all: one whose only content is the restriction (it ends the SPS, so nothing follows).
      w.copy(rbsp, 0, add.vuiFlagAt);
      w.bit(1); // vui_parameters_present_flag
      w.bits(0, 8); // aspect ratio, overscan, signal type, chroma loc, timing, nal hrd, vcl hrd, pic_struct: absent
      writeRestriction(w, add.maxRefFrames);
      return fromRbsp(w.finish());
    }
    // The VUI's last flag (bitstream_restriction_flag = 0) becomes the restriction itself.
    w.copy(rbsp, 0, add.at - 1);
    writeRestriction(w, add.maxRefFrames);
    at = add.at;
  } else {
    for (const f of parsed.delayFields) {
      w.copy(rbsp, at, f.start);
      w.ue(0);
      at = f.end;
    }
  }
  w.copy(rbsp, at, parsed.payloadEnd);
  return fromRbsp(w.finish());
}

/** bitstream_restriction_flag = 1 and its fields at their spec defaults, with no reorder delay. */
function writeRestriction(w: BitWriter, maxRefFrames: number): void {
  w.bit(1); // bitstream_restriction_flag
  w.bit(1); // motion_vectors_over_pic_boundaries_flag
  w.ue(2); // max_bytes_per_pic_denom
  w.ue(1); // max_bits_per_mb_denom
  w.ue(15); // log2_max_mv_length_horizontal
  w.ue(15); // log2_max_mv_length_vertical
  w.ue(0); // max_num_reorder_frames
  w.ue(Math.max(1, maxRefFrames)); // max_dec_frame_buffering ≥ max_num_ref_frames
}
