import { UnitSlab } from '../unit-slab.js';
import type { ParameterSets, VideoCodec } from './sdp.js';

/**
 * What H.264 and H.265 depacketization share: collecting a frame's NAL units across RTP packets (one RTP
 * timestamp = one access unit, the marker bit ends it), reassembling fragmentation units, dropping an access
 * unit that a lost packet broke, capping its size, and writing it out as Annex-B with the parameter sets a
 * keyframe needs to decode on its own. The codec files only say how a payload splits into NAL units.
 */

export interface DepacketizedAccessUnit {
  codec: VideoCodec;
  /** The extended (unwrapped) RTP timestamp of its packets. */
  rtpTimestamp: number;
  /** An IDR (H.264) or IRAP (H.265) picture: decodable on its own with `parameterSets`. */
  keyframe: boolean;
  /**
   * Annex-B (4-byte start codes); a keyframe starts with its parameter sets. Consecutive small units share
   * chunks of memory of this depacketizer only (UnitSlab), so a ring that keeps and evicts them in order pins
   * nothing else.
   */
  data: Buffer;
  /** The parameter sets in force (latest in-band, else from the SDP). */
  parameterSets: ParameterSets;
}

export interface DepacketizerStats {
  accessUnits: number;
  /** Access units dropped because a packet of theirs was lost, a fragment was missing, or a payload was malformed. */
  droppedAccessUnits: number;
  /** Dropped for exceeding maxAccessUnitBytes. */
  oversizeAccessUnits: number;
  malformedPackets: number;
  /** Packetizations this client does not speak (STAP-B, MTAP, FU-B, PACI). */
  unsupportedPackets: number;
}

export interface DepacketizerOptions {
  onAccessUnit: (au: DepacketizedAccessUnit) => void;
  /** From the SDP; in-band parameter sets replace them as they arrive. */
  parameterSets?: ParameterSets;
  /** A bigger access unit is dropped and counted: bounded memory whatever the sender does. */
  maxAccessUnitBytes?: number;
}

export const DEFAULT_MAX_ACCESS_UNIT_BYTES = 8 * 1024 * 1024;
/** Bounds the per-NAL bookkeeping of one access unit (a real frame has tens of slices at most). */
const MAX_NALS_PER_ACCESS_UNIT = 4096;
const START_CODE = Buffer.from([0, 0, 0, 1]);

export interface RtpPayload {
  payload: Buffer;
  /** Extended RTP timestamp. */
  timestamp: number;
  marker: boolean;
  /** Packets lost just before this one (from the sequence tracker). */
  lost: number;
}

type ParamKind = 'vps' | 'sps' | 'pps';
const PARAM_BIT: Record<ParamKind, number> = { vps: 1, sps: 2, pps: 4 };

/**
 * A frame's NAL units as they arrive, copied once into one growing buffer, each behind its start code: the
 * payloads handed to push() are views into a read buffer that the next socket read overwrites (see
 * read-pacer.ts), and a fragmented NAL is appended in place instead of being collected and concatenated.
 */
class Assembly {
  buf: Buffer;
  size = 0;
  /** Start of each NAL's start code, and its type. */
  readonly starts: number[] = [];
  readonly types: number[] = [];

  constructor(initialBytes: number) {
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
  }

  reset(): void {
    this.size = 0;
    this.starts.length = 0;
    this.types.length = 0;
  }

  /** Room for `n` more bytes (the caller checked the cap). */
  reserve(n: number): void {
    if (this.size + n <= this.buf.length) return;
    let len = this.buf.length * 2;
    while (len < this.size + n) len *= 2;
    const grown = Buffer.allocUnsafeSlow(len);
    this.buf.copy(grown, 0, 0, this.size);
    this.buf = grown;
  }

  beginNal(type: number): void {
    this.reserve(START_CODE.length);
    this.starts.push(this.size);
    this.types.push(type);
    START_CODE.copy(this.buf, this.size);
    this.size += START_CODE.length;
  }

  append(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.size);
    this.size += data.length;
  }

  /** NAL i behind its start code. */
  withStartCode(i: number): Buffer {
    return this.buf.subarray(this.starts[i]!, i + 1 < this.starts.length ? this.starts[i + 1]! : this.size);
  }

  /** NAL i without its start code. */
  nal(i: number): Buffer {
    return this.withStartCode(i).subarray(START_CODE.length);
  }
}

/** Enough for a sub-stream's P-frames; a keyframe grows it once per session. */
const INITIAL_ASSEMBLY_BYTES = 64 * 1024;

export abstract class NalDepacketizer {
  readonly stats: DepacketizerStats = { accessUnits: 0, droppedAccessUnits: 0, oversizeAccessUnits: 0, malformedPackets: 0, unsupportedPackets: 0 };
  abstract readonly codec: VideoCodec;
  protected readonly params: { vps: Buffer[]; sps: Buffer[]; pps: Buffer[] };
  private readonly maxBytes: number;
  private readonly onAccessUnit: (au: DepacketizedAccessUnit) => void;
  /** The access unit in progress: its NAL units are in `assembly`. */
  private au: { timestamp: number; broken: boolean; oversize: boolean } | undefined;
  private assemblyBuffer: Assembly | undefined;
  /** A fragmented NAL is open: the last NAL of the assembly, its bytes still coming. */
  private fragmentOpen = false;
  /** Where finished access units are copied to: no Buffer of their own per frame. */
  private readonly out = new UnitSlab();
  /** The parameter sets in force as handed out (a new object only when they change). */
  private current: ParameterSets | undefined;

  constructor(opts: DepacketizerOptions) {
    this.onAccessUnit = opts.onAccessUnit;
    this.maxBytes = opts.maxAccessUnitBytes ?? DEFAULT_MAX_ACCESS_UNIT_BYTES;
    const p = opts.parameterSets;
    this.params = { vps: p?.vps ?? [], sps: p?.sps ?? [], pps: p?.pps ?? [] };
  }

  /** Bytes held for the access unit in progress (bounded by maxAccessUnitBytes). */
  get bufferedBytes(): number {
    return this.au && !this.au.broken ? (this.assemblyBuffer?.size ?? 0) : 0;
  }

  private get assembly(): Assembly {
    return (this.assemblyBuffer ??= new Assembly(Math.min(INITIAL_ASSEMBLY_BYTES, this.maxBytes + START_CODE.length)));
  }

  push(p: RtpPayload): void {
    if (p.lost > 0 && this.au) this.au.broken = true;
    if (p.lost > 0) this.fragmentOpen = false;
    if (this.au && this.au.timestamp !== p.timestamp) this.flush();
    // After a gap the new timestamp's first packets may be what was lost.
    if (!this.au) {
      this.au = { timestamp: p.timestamp, broken: p.lost > 0, oversize: false };
      this.assembly.reset();
    }
    if (!this.au.broken) {
      try {
        this.unpack(p.payload);
      } catch {
        // The codec files check every length; this only keeps a missed case from escaping to the socket.
        this.malformed();
      }
    }
    if (p.marker) this.flush();
  }

  /** Splits one RTP payload into NAL units (addNal / fragment calls). */
  protected abstract unpack(payload: Buffer): void;
  protected abstract nalType(nal: Buffer): number;
  protected abstract isVcl(type: number): boolean;
  protected abstract isKeyframe(type: number): boolean;
  protected abstract isDelimiter(type: number): boolean;
  protected abstract parameterKind(type: number): ParamKind | undefined;
  /** The parameter-set kinds a keyframe of this codec needs. */
  protected abstract readonly requiredParams: readonly ParamKind[];

  protected addNal(nal: Buffer): void {
    const au = this.au;
    if (!au || au.broken) return;
    if (nal.length === 0) return this.malformed();
    if (this.fragmentOpen) return this.breakAu(); // the fragment's end was lost
    if (!this.fits(START_CODE.length + nal.length)) return;
    this.assembly.beginNal(this.nalType(nal));
    this.assembly.append(nal);
  }

  protected fragmentStart(header: Buffer, data: Buffer): void {
    const au = this.au;
    if (!au || au.broken) return;
    // A start while another fragment is open means its end was lost.
    if (this.fragmentOpen) return this.breakAu();
    if (!this.fits(START_CODE.length + header.length + data.length)) return;
    this.assembly.beginNal(this.nalType(header));
    this.assembly.append(header);
    this.assembly.append(data);
    this.fragmentOpen = true;
  }

  protected fragmentContinue(data: Buffer, end: boolean): void {
    if (!this.au || this.au.broken) return;
    if (!this.fragmentOpen) return this.breakAu(); // its start was lost
    if (!this.fits(data.length)) return;
    this.assembly.append(data);
    if (end) this.fragmentOpen = false;
  }

  /** Room for `bytes` more under the caps; otherwise the access unit is dropped. */
  private fits(bytes: number): boolean {
    if (this.assembly.starts.length >= MAX_NALS_PER_ACCESS_UNIT) {
      this.malformed();
      return false;
    }
    if (this.assembly.size + bytes > this.maxBytes) {
      this.au!.oversize = true;
      this.breakAu();
      return false;
    }
    return true;
  }

  protected malformed(): void {
    this.stats.malformedPackets++;
    this.breakAu();
  }

  protected unsupported(): void {
    this.stats.unsupportedPackets++;
    this.breakAu();
  }

  private breakAu(): void {
    this.fragmentOpen = false;
    if (!this.au) return;
    this.au.broken = true;
    this.assemblyBuffer?.reset();
    // A keyframe-sized buffer stays for the next frame; one grown past that by a burst is freed now.
    if ((this.assemblyBuffer?.buf.length ?? 0) > 4 * INITIAL_ASSEMBLY_BYTES) this.assemblyBuffer = undefined;
  }

  private flush(): void {
    const au = this.au;
    this.au = undefined;
    if (!au) return;
    if (this.fragmentOpen) {
      // An access unit that ends inside a fragmented NAL lost the fragment's end.
      this.fragmentOpen = false;
      au.broken = true;
    }
    if (au.broken) {
      if (au.oversize) this.stats.oversizeAccessUnits++;
      else this.stats.droppedAccessUnits++;
      return;
    }
    const asm = this.assembly;
    const count = asm.starts.length;
    if (count === 0) return;
    let keyframe = false;
    let vcl = false;
    let present = 0;
    let fresh: Partial<Record<ParamKind, Buffer[]>> | undefined;
    for (let i = 0; i < count; i++) {
      const type = asm.types[i]!;
      if (this.isVcl(type)) vcl = true;
      if (this.isKeyframe(type)) keyframe = true;
      const kind = this.parameterKind(type);
      if (kind) {
        present |= PARAM_BIT[kind];
        fresh ??= {};
        (fresh[kind] ??= []).push(Buffer.from(asm.nal(i)));
      }
    }
    if (fresh) {
      for (const kind of ['vps', 'sps', 'pps'] as const) {
        const list = fresh[kind];
        if (list) this.params[kind] = list;
      }
      this.current = undefined;
    }
    // Parameter sets alone (sent ahead of the IDR with their own timestamp) are kept, not emitted.
    if (!vcl) return;
    // A keyframe short of a parameter set gets all of them, in decoding order (a PPS needs its SPS first).
    const prepend = keyframe && !this.requiredParams.every((k) => (present & PARAM_BIT[k]) !== 0);
    this.stats.accessUnits++;
    this.onAccessUnit({
      codec: this.codec,
      rtpTimestamp: au.timestamp,
      keyframe,
      data: prepend ? this.withParameterSets(asm) : this.out.copy(asm.buf.subarray(0, asm.size)),
      parameterSets: (this.current ??= this.codec === 'h265' ? { vps: this.params.vps, sps: this.params.sps, pps: this.params.pps } : { sps: this.params.sps, pps: this.params.pps }),
    });
  }

  /** The assembly with every parameter set in force first (after an access unit delimiter, as the spec orders it). */
  private withParameterSets(asm: Assembly): Buffer {
    const parts: Buffer[] = [];
    const delimiter = this.isDelimiter(asm.types[0]!);
    if (delimiter) parts.push(asm.withStartCode(0));
    for (const kind of this.requiredParams) for (const nal of this.params[kind]) parts.push(START_CODE, nal);
    for (let i = delimiter ? 1 : 0; i < asm.starts.length; i++) {
      if (this.parameterKind(asm.types[i]!)) continue;
      parts.push(asm.withStartCode(i));
    }
    return Buffer.concat(parts);
  }
}
