import { describe, expect, it } from 'vitest';
import { buildReceiverReport, parseSenderReports } from '../../src/ingest/rtsp/rtcp.js';
import { parseRtp, SequenceTracker, TimestampUnwrapper } from '../../src/ingest/rtsp/rtp.js';

describe('RTP', () => {
  it('parses the fixed header, CSRCs, an extension and padding', () => {
    const header = Buffer.from([0xb2, 0xe0, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 7]); // V=2 P X CC=2, M, PT 96
    const csrcs = Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]);
    const ext = Buffer.from([0xbe, 0xde, 0, 1, 1, 2, 3, 4]);
    const pkt = parseRtp(Buffer.concat([header, csrcs, ext, Buffer.from([0x65, 0xaa]), Buffer.from([0, 0, 3])]));
    expect(pkt).toMatchObject({ marker: true, payloadType: 96, sequence: 0x1234, timestamp: 0xdeadbeef, ssrc: 7, csrcs: [1, 2], extension: { profile: 0xbede } });
    expect([...pkt!.payload]).toEqual([0x65, 0xaa]);
  });

  it('refuses what is not RTP v2 or is cut short', () => {
    expect(parseRtp(Buffer.alloc(11))).toBeUndefined();
    expect(parseRtp(Buffer.from([0x40, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined();
    expect(parseRtp(Buffer.from([0x8f, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined(); // 15 CSRCs missing
    expect(parseRtp(Buffer.from([0xa0, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]))).toBeUndefined(); // padding > payload
  });

  it('tracks sequence numbers across the wrap, counting loss and dropping duplicates', () => {
    const t = new SequenceTracker();
    expect(t.push(65534)).toEqual({ kind: 'next', lost: 0 });
    expect(t.push(65535)).toEqual({ kind: 'next', lost: 0 });
    expect(t.push(2)).toEqual({ kind: 'next', lost: 2 });
    expect(t.push(2)).toEqual({ kind: 'old' });
    expect(t.push(1)).toEqual({ kind: 'old' });
    expect(t.lost).toBe(2);
    expect(t.extendedMax).toBe(65536 + 2);
    expect(t.reportLoss()).toEqual({ cumulativeLost: 2, fractionLost: Math.floor((2 * 256) / 5) });
    expect(t.push(40_000)).toEqual({ kind: 'reset' });
  });

  it('unwraps timestamps across 2^32', () => {
    const u = new TimestampUnwrapper();
    expect(u.unwrap(0xffff_ff00)).toBe(0xffff_ff00);
    expect(u.unwrap(0x100)).toBe(0x1_0000_0100);
    expect(u.unwrap(0xffff_fff0)).toBe(0xffff_fff0); // a small step back over the wrap
    expect(u.unwrap(0x200)).toBe(0x1_0000_0200);
  });
});

describe('RTCP', () => {
  it('reads LSR from a sender report and writes a receiver report with SDES', () => {
    const sr = Buffer.alloc(28);
    sr[0] = 0x80;
    sr[1] = 200;
    sr.writeUInt16BE(6, 2);
    sr.writeUInt32BE(0x1111, 4);
    sr.writeUInt32BE(0xaabbccdd, 8);
    sr.writeUInt32BE(0xeeff0011, 12);
    sr.writeUInt32BE(12345, 16);
    expect(parseSenderReports(sr)).toEqual([{ ssrc: 0x1111, ntpMiddle: 0xccddeeff, rtpTimestamp: 12345 }]);
    const rr = buildReceiverReport(0x42, { sourceSsrc: 0x1111, fractionLost: 3, cumulativeLost: 5, extendedHighestSeq: 70000, jitter: 12.4, lastSr: 0xccddeeff, delaySinceLastSr: 65536 }, 'patrol');
    expect(rr[1]).toBe(201);
    expect(rr.readUInt16BE(2)).toBe(7);
    expect(rr.readUInt32BE(12)).toBe((3 << 24) | 5);
    expect(rr.readUInt32BE(24)).toBe(0xccddeeff);
    expect(rr[33]).toBe(202);
    expect(rr.length % 4).toBe(0);
    expect(rr.subarray(32 + 10, 32 + 16).toString()).toBe('patrol');
    expect(parseSenderReports(Buffer.from([1, 2, 3, 4, 5]))).toEqual([]);
  });
});
