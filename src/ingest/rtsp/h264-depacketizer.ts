import { NalDepacketizer } from './access-unit.js';

/**
 * H.264 over RTP (RFC 6184), non-interleaved mode as cameras send it: single NAL unit packets (types 1–23),
 * STAP-A (24) and FU-A (28). STAP-B, MTAP and FU-B belong to the interleaved mode no camera here uses: they
 * are counted as unsupported and break their access unit.
 */
export class H264Depacketizer extends NalDepacketizer {
  readonly codec = 'h264' as const;
  protected readonly requiredParams = ['sps', 'pps'] as const;

  protected unpack(payload: Buffer): void {
    if (payload.length < 1) return this.malformed();
    const header = payload[0]!;
    if (header & 0x80) return this.malformed(); // forbidden_zero_bit
    const type = header & 0x1f;
    if (type >= 1 && type <= 23) return this.addNal(payload);
    if (type === 24) return this.stapA(payload);
    if (type === 28) return this.fuA(payload);
    if (type === 0 || type >= 30) return this.malformed();
    return this.unsupported();
  }

  private stapA(payload: Buffer): void {
    let pos = 1;
    if (payload.length < 3) return this.malformed();
    while (pos < payload.length) {
      if (payload.length - pos < 2) return this.malformed();
      const size = payload.readUInt16BE(pos);
      pos += 2;
      if (size === 0 || payload.length - pos < size) return this.malformed();
      this.addNal(payload.subarray(pos, pos + size));
      pos += size;
    }
  }

  private fuA(payload: Buffer): void {
    if (payload.length < 3) return this.malformed();
    const indicator = payload[0]!;
    const fu = payload[1]!;
    const start = (fu & 0x80) !== 0;
    const end = (fu & 0x40) !== 0;
    if (start && end) return this.malformed();
    const data = payload.subarray(2);
    if (start) return this.fragmentStart(Buffer.from([(indicator & 0xe0) | (fu & 0x1f)]), data);
    return this.fragmentContinue(data, end);
  }

  protected nalType(nal: Buffer): number {
    return nal[0]! & 0x1f;
  }

  protected isVcl(type: number): boolean {
    return type >= 1 && type <= 5;
  }

  protected isDelimiter(type: number): boolean {
    return type === 9;
  }

  protected isKeyframe(type: number): boolean {
    return type === 5;
  }

  protected parameterKind(type: number): 'sps' | 'pps' | undefined {
    return type === 7 ? 'sps' : type === 8 ? 'pps' : undefined;
  }
}
