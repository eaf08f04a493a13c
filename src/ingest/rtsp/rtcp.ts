/**
 * RTCP (RFC 3550 §6) as a receiver needs it: read the sender report's NTP time (for LSR/DLSR) and write a
 * compound receiver report with the SDES CNAME the RFC requires. Cameras and servers that time out silent
 * receivers count these as liveness.
 */

const PT_SR = 200;
const PT_RR = 201;
const PT_SDES = 202;

export interface SenderReportInfo {
  ssrc: number;
  /** The middle 32 bits of the NTP timestamp: what LSR echoes. */
  ntpMiddle: number;
  rtpTimestamp: number;
}

/** Sender reports in one compound packet (other packet types are skipped; garbage gives none). */
export function parseSenderReports(buf: Buffer): SenderReportInfo[] {
  const out: SenderReportInfo[] = [];
  let pos = 0;
  while (buf.length - pos >= 4) {
    if (buf[pos]! >> 6 !== 2) break;
    const pt = buf[pos + 1]!;
    const len = (buf.readUInt16BE(pos + 2) + 1) * 4;
    if (buf.length - pos < len) break;
    if (pt === PT_SR && len >= 28) {
      out.push({ ssrc: buf.readUInt32BE(pos + 4), ntpMiddle: ((buf.readUInt32BE(pos + 8) & 0xffff) << 16 | buf.readUInt32BE(pos + 12) >>> 16) >>> 0, rtpTimestamp: buf.readUInt32BE(pos + 16) });
    }
    pos += len;
  }
  return out;
}

export interface ReportBlock {
  sourceSsrc: number;
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSeq: number;
  jitter: number;
  /** 0 when no sender report has arrived. */
  lastSr: number;
  /** Since that sender report, in 1/65536 s. */
  delaySinceLastSr: number;
}

export function buildReceiverReport(ownSsrc: number, block: ReportBlock | undefined, cname: string): Buffer {
  const rr = Buffer.alloc(block ? 32 : 8);
  rr[0] = 0x80 | (block ? 1 : 0);
  rr[1] = PT_RR;
  rr.writeUInt16BE(rr.length / 4 - 1, 2);
  rr.writeUInt32BE(ownSsrc >>> 0, 4);
  if (block) {
    rr.writeUInt32BE(block.sourceSsrc >>> 0, 8);
    rr.writeUInt32BE(((block.fractionLost & 0xff) << 24 | (block.cumulativeLost & 0xffffff)) >>> 0, 12);
    rr.writeUInt32BE(block.extendedHighestSeq >>> 0, 16);
    rr.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.round(block.jitter))) >>> 0, 20);
    rr.writeUInt32BE(block.lastSr >>> 0, 24);
    rr.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.round(block.delaySinceLastSr))) >>> 0, 28);
  }
  const name = Buffer.from(cname.slice(0, 255), 'utf8').subarray(0, 255);
  // SSRC, CNAME item (type, length, text), then at least one zero byte ending the item list, to 32 bits.
  const chunkLen = Math.ceil((4 + 2 + name.length + 1) / 4) * 4;
  const sdes = Buffer.alloc(4 + chunkLen);
  sdes[0] = 0x81;
  sdes[1] = PT_SDES;
  sdes.writeUInt16BE(sdes.length / 4 - 1, 2);
  sdes.writeUInt32BE(ownSsrc >>> 0, 4);
  sdes[8] = 1;
  sdes[9] = name.length;
  name.copy(sdes, 10);
  return Buffer.concat([rr, sdes]);
}

/** Interarrival jitter (RFC 3550 §6.4.1) in timestamp units. */
export class JitterEstimator {
  private prevTransit: number | undefined;
  jitter = 0;

  constructor(private readonly clockRate: number) {}

  update(rtpTimestamp: number, arrivalMs: number): void {
    const transit = (arrivalMs * this.clockRate) / 1000 - rtpTimestamp;
    if (this.prevTransit !== undefined) {
      const d = Math.abs(transit - this.prevTransit);
      // A wrap or a restart shows as a huge step: not jitter.
      if (d < this.clockRate * 10) this.jitter += (d - this.jitter) / 16;
    }
    this.prevTransit = transit;
  }
}
