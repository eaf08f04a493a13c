import { NalDepacketizer } from './access-unit.js';

/**
 * H.265 over RTP (RFC 7798) without DONL (sprop-max-don-diff 0, as cameras and GStreamer send it): single NAL
 * unit packets, aggregation packets (AP, type 48) and fragmentation units (FU, type 49). PACI (50) is counted
 * as unsupported. Keyframes are IRAP pictures (BLA, IDR, CRA: types 16–21).
 */
export class H265Depacketizer extends NalDepacketizer {
  readonly codec = 'h265' as const;
  protected readonly requiredParams = ['vps', 'sps', 'pps'] as const;

  protected unpack(payload: Buffer): void {
    if (payload.length < 3) return this.malformed();
    if (payload[0]! & 0x80) return this.malformed(); // forbidden_zero_bit
    const type = (payload[0]! >> 1) & 0x3f;
    if (type < 48) return this.addNal(payload);
    if (type === 48) return this.aggregation(payload);
    if (type === 49) return this.fragment(payload);
    if (type === 50) return this.unsupported();
    return this.malformed();
  }

  private aggregation(payload: Buffer): void {
    let pos = 2;
    while (pos < payload.length) {
      if (payload.length - pos < 2) return this.malformed();
      const size = payload.readUInt16BE(pos);
      pos += 2;
      if (size < 2 || payload.length - pos < size) return this.malformed();
      this.addNal(payload.subarray(pos, pos + size));
      pos += size;
    }
  }

  private fragment(payload: Buffer): void {
    if (payload.length < 4) return this.malformed();
    const fu = payload[2]!;
    const start = (fu & 0x80) !== 0;
    const end = (fu & 0x40) !== 0;
    if (start && end) return this.malformed();
    const data = payload.subarray(3);
    if (start) {
      const type = fu & 0x3f;
      // The NAL header is the payload header with its type replaced: F and layer id stay, TID is byte 2.
      const header = Buffer.from([(payload[0]! & 0x81) | (type << 1), payload[1]!]);
      return this.fragmentStart(header, data);
    }
    return this.fragmentContinue(data, end);
  }

  protected nalType(nal: Buffer): number {
    return (nal[0]! >> 1) & 0x3f;
  }

  protected isVcl(type: number): boolean {
    return type < 32;
  }

  protected isDelimiter(type: number): boolean {
    return type === 35;
  }

  protected isKeyframe(type: number): boolean {
    return type >= 16 && type <= 21;
  }

  protected parameterKind(type: number): 'vps' | 'sps' | 'pps' | undefined {
    return type === 32 ? 'vps' : type === 33 ? 'sps' : type === 34 ? 'pps' : undefined;
  }
}
