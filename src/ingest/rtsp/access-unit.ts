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
  /** Annex-B (4-byte start codes); a keyframe starts with its parameter sets. */
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

export abstract class NalDepacketizer {
  readonly stats: DepacketizerStats = { accessUnits: 0, droppedAccessUnits: 0, oversizeAccessUnits: 0, malformedPackets: 0, unsupportedPackets: 0 };
  abstract readonly codec: VideoCodec;
  protected readonly params: { vps: Buffer[]; sps: Buffer[]; pps: Buffer[] };
  private readonly maxBytes: number;
  private readonly onAccessUnit: (au: DepacketizedAccessUnit) => void;
  private au: { timestamp: number; nals: Buffer[]; size: number; broken: boolean; oversize: boolean } | undefined;
  /** A fragmented NAL being reassembled: its reconstructed header first. */
  private fu: { parts: Buffer[]; size: number } | undefined;

  constructor(opts: DepacketizerOptions) {
    this.onAccessUnit = opts.onAccessUnit;
    this.maxBytes = opts.maxAccessUnitBytes ?? DEFAULT_MAX_ACCESS_UNIT_BYTES;
    const p = opts.parameterSets;
    this.params = { vps: p?.vps ?? [], sps: p?.sps ?? [], pps: p?.pps ?? [] };
  }

  /** Bytes held for the access unit in progress (bounded by maxAccessUnitBytes). */
  get bufferedBytes(): number {
    return (this.au?.size ?? 0) + (this.fu?.size ?? 0);
  }

  push(p: RtpPayload): void {
    if (p.lost > 0 && this.au) this.au.broken = true;
    if (p.lost > 0) this.fu = undefined;
    if (this.au && this.au.timestamp !== p.timestamp) this.flush();
    // After a gap the new timestamp's first packets may be what was lost.
    this.au ??= { timestamp: p.timestamp, nals: [], size: 0, broken: p.lost > 0, oversize: false };
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
    if (au.nals.length >= MAX_NALS_PER_ACCESS_UNIT) return this.malformed();
    if (au.size + nal.length + START_CODE.length > this.maxBytes) {
      au.oversize = true;
      return this.breakAu();
    }
    au.nals.push(nal);
    au.size += nal.length + START_CODE.length;
  }

  protected fragmentStart(header: Buffer, data: Buffer): void {
    // A start while another fragment is open means its end was lost.
    if (this.fu) return this.breakAu();
    this.fu = { parts: [header, data], size: header.length + data.length };
    this.checkFragmentSize();
  }

  protected fragmentContinue(data: Buffer, end: boolean): void {
    const fu = this.fu;
    if (!fu) return this.breakAu(); // its start was lost
    fu.parts.push(data);
    fu.size += data.length;
    if (!this.checkFragmentSize()) return;
    if (end) {
      this.fu = undefined;
      this.addNal(Buffer.concat(fu.parts, fu.size));
    }
  }

  private checkFragmentSize(): boolean {
    if ((this.au?.size ?? 0) + (this.fu?.size ?? 0) <= this.maxBytes) return true;
    if (this.au) this.au.oversize = true;
    this.breakAu();
    return false;
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
    this.fu = undefined;
    if (!this.au) return;
    this.au.broken = true;
    // Free what it held now, not at its end.
    this.au.nals = [];
    this.au.size = 0;
  }

  private flush(): void {
    const au = this.au;
    this.au = undefined;
    if (!au) return;
    if (this.fu) {
      // An access unit that ends inside a fragmented NAL lost the fragment's end.
      this.fu = undefined;
      au.broken = true;
    }
    if (au.broken) {
      if (au.oversize) this.stats.oversizeAccessUnits++;
      else this.stats.droppedAccessUnits++;
      return;
    }
    if (au.nals.length === 0) return;
    let keyframe = false;
    let vcl = false;
    const present = new Set<ParamKind>();
    const fresh: Partial<Record<ParamKind, Buffer[]>> = {};
    for (const nal of au.nals) {
      const type = this.nalType(nal);
      if (this.isVcl(type)) vcl = true;
      if (this.isKeyframe(type)) keyframe = true;
      const kind = this.parameterKind(type);
      if (kind) {
        present.add(kind);
        (fresh[kind] ??= []).push(Buffer.from(nal));
      }
    }
    for (const kind of ['vps', 'sps', 'pps'] as const) {
      const list = fresh[kind];
      if (list) this.params[kind] = list;
    }
    // Parameter sets alone (sent ahead of the IDR with their own timestamp) are kept, not emitted.
    if (!vcl) return;
    const parts: Buffer[] = [];
    let size = 0;
    // A keyframe short of a parameter set gets all of them, in decoding order (a PPS needs its SPS first).
    const prepend = keyframe && !this.requiredParams.every((k) => present.has(k));
    // An access unit delimiter stays first, as the spec orders it.
    const first = au.nals[0]!;
    const delimiter = prepend && this.isDelimiter(this.nalType(first));
    if (delimiter) {
      parts.push(START_CODE, first);
      size += START_CODE.length + first.length;
    }
    if (prepend) {
      for (const kind of this.requiredParams) {
        for (const nal of this.params[kind]) {
          parts.push(START_CODE, nal);
          size += START_CODE.length + nal.length;
        }
      }
    }
    for (let i = delimiter ? 1 : 0; i < au.nals.length; i++) {
      const nal = au.nals[i]!;
      if (prepend && this.parameterKind(this.nalType(nal))) continue;
      parts.push(START_CODE, nal);
      size += START_CODE.length + nal.length;
    }
    this.stats.accessUnits++;
    this.onAccessUnit({
      codec: this.codec,
      rtpTimestamp: au.timestamp,
      keyframe,
      data: Buffer.concat(parts, size),
      parameterSets: this.codec === 'h265' ? { vps: this.params.vps, sps: this.params.sps, pps: this.params.pps } : { sps: this.params.sps, pps: this.params.pps },
    });
  }
}
