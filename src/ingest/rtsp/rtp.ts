/**
 * RTP (RFC 3550): the fixed header with CSRCs, header extension and padding; sequence tracking that says
 * how many packets went missing before each one; and a 32-bit timestamp unwrapped into a monotonic count.
 */

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  /** Header extension profile and data, when the X bit is set. */
  extension?: { profile: number; data: Buffer };
  /** View into the input, padding removed. */
  payload: Buffer;
}

/** The packet in `buf`, or undefined when it is not a valid RTP version 2 packet. */
export function parseRtp(buf: Buffer): RtpPacket | undefined {
  if (buf.length < 12) return undefined;
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return undefined;
  const padding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const b1 = buf[1]!;
  let offset = 12 + cc * 4;
  if (buf.length < offset) return undefined;
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(buf.readUInt32BE(12 + i * 4));
  let extension: RtpPacket['extension'];
  if (hasExtension) {
    if (buf.length < offset + 4) return undefined;
    const profile = buf.readUInt16BE(offset);
    const words = buf.readUInt16BE(offset + 2);
    const end = offset + 4 + words * 4;
    if (buf.length < end) return undefined;
    extension = { profile, data: buf.subarray(offset + 4, end) };
    offset = end;
  }
  let end = buf.length;
  if (padding) {
    const pad = buf[buf.length - 1]!;
    if (pad === 0 || pad > end - offset) return undefined;
    end -= pad;
  }
  return {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrcs,
    ...(extension ? { extension } : {}),
    payload: buf.subarray(offset, end),
  };
}

export type SequenceVerdict =
  /** In order; `lost` packets are missing just before it. */
  | { kind: 'next'; lost: number }
  /** A duplicate or a late packet: drop it. */
  | { kind: 'old' }
  /** A jump too large to be loss (the sender restarted): counting starts again here. */
  | { kind: 'reset' };

/** Jumps beyond this many packets are a restart, not loss (RFC 3550 A.1 uses 3000 as MAX_DROPOUT). */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

/**
 * Per-source sequence state, as RFC 3550 A.1 keeps it: extended highest sequence and cumulative loss, for
 * the depacketizer (drop what a gap broke) and for receiver reports.
 */
export class SequenceTracker {
  private started = false;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  received = 0;
  /** Packets never seen (cumulative, never negative). */
  lost = 0;
  /** For RTCP's fraction lost: expected and received at the previous report. */
  private expectedPrior = 0;
  private receivedPrior = 0;

  push(seq: number): SequenceVerdict {
    if (!this.started) {
      this.restart(seq);
      return { kind: 'next', lost: 0 };
    }
    const delta = (seq - this.maxSeq + 0x10000) & 0xffff;
    if (delta === 0) return { kind: 'old' };
    if (delta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += 0x10000;
      this.maxSeq = seq;
      this.received++;
      const lost = delta - 1;
      this.lost += lost;
      return { kind: 'next', lost };
    }
    if (0x10000 - delta <= MAX_MISORDER) return { kind: 'old' };
    this.restart(seq);
    return { kind: 'reset' };
  }

  private restart(seq: number): void {
    this.started = true;
    this.maxSeq = seq;
    this.baseSeq = seq;
    this.cycles = 0;
    this.received = 1;
    this.lost = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
  }

  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  /** Cumulative lost and the fraction (0..255) since the previous call, for one receiver report block. */
  reportLoss(): { cumulativeLost: number; fractionLost: number } {
    const expected = this.extendedMax - this.baseSeq + 1;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    return { cumulativeLost: Math.max(0, Math.min(0x7fffff, expected - this.received)), fractionLost };
  }
}

/** A 32-bit RTP timestamp extended across wraps (every 13.3 h at 90 kHz), tolerating small steps back. */
export class TimestampUnwrapper {
  private last: number | undefined;
  private high = 0;

  unwrap(ts: number): number {
    if (this.last !== undefined) {
      const diff = (ts - this.last) | 0; // signed 32-bit distance
      if (diff > 0 && ts < this.last) this.high += 0x1_0000_0000;
      else if (diff < 0 && ts > this.last) this.high -= 0x1_0000_0000;
    }
    this.last = ts;
    return this.high + ts;
  }
}
