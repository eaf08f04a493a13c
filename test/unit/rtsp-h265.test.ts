import { describe, expect, it } from 'vitest';
import type { DepacketizedAccessUnit, RtpPayload } from '../../src/ingest/rtsp/access-unit.js';
import { H265Depacketizer } from '../../src/ingest/rtsp/h265-depacketizer.js';

const nal = (type: number, body: number[] | Buffer, tid = 1): Buffer => Buffer.concat([Buffer.from([type << 1, tid]), Buffer.from(body)]);
const VPS = nal(32, [0x0c, 0x01]);
const SPS = nal(33, [0x01, 0x01, 0x60]);
const PPS = nal(34, [0xc1, 0x72]);
const IDR = nal(19, Buffer.alloc(2500, 0x5a)); // IDR_W_RADL
const CRA = nal(21, [0xaf, 0x00]);
const TRAIL = nal(1, [0xd0, 0x01]);

function make(sdp = false): { d: H265Depacketizer; out: DepacketizedAccessUnit[] } {
  const out: DepacketizedAccessUnit[] = [];
  const d = new H265Depacketizer({ onAccessUnit: (au) => out.push(au), ...(sdp ? { parameterSets: { vps: [VPS], sps: [SPS], pps: [PPS] } } : {}) });
  return { d, out };
}
const pkt = (payload: Buffer, timestamp: number, marker = false, lost = 0): RtpPayload => ({ payload, timestamp, marker, lost });
const ap = (...nals: Buffer[]): Buffer => Buffer.concat([Buffer.from([48 << 1, 1]), ...nals.flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n])]);
/** FUs of `n` (RFC 7798 §4.4.3): payload header type 49, FU header S|E|type, the NAL without its 2-byte header. */
function fu(n: Buffer, size: number): Buffer[] {
  const type = (n[0]! >> 1) & 0x3f;
  const body = n.subarray(2);
  const out: Buffer[] = [];
  for (let pos = 0; pos < body.length; pos += size) {
    const s = pos === 0;
    const e = pos + size >= body.length;
    out.push(Buffer.concat([Buffer.from([(n[0]! & 0x81) | (49 << 1), n[1]!, (s ? 0x80 : 0) | (e ? 0x40 : 0) | type]), body.subarray(pos, pos + size)]));
  }
  return out;
}
const annexB = (...nals: Buffer[]): Buffer => Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));

describe('H.265 depacketizer', () => {
  it('joins an AP of VPS/SPS/PPS and an FU IDR into one keyframe', () => {
    const { d, out } = make();
    d.push(pkt(ap(VPS, SPS, PPS), 9000));
    const frags = fu(IDR, 1000);
    expect(frags).toHaveLength(3);
    frags.forEach((f, i) => d.push(pkt(f, 9000, i === frags.length - 1)));
    d.push(pkt(TRAIL, 12000, true));
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ codec: 'h265', keyframe: true });
    expect(out[0]!.data).toEqual(annexB(VPS, SPS, PPS, IDR));
    expect(out[0]!.parameterSets).toEqual({ vps: [VPS], sps: [SPS], pps: [PPS] });
    expect(out[1]).toMatchObject({ keyframe: false, data: annexB(TRAIL) });
  });

  it('treats every IRAP type (16–21) as a keyframe and prepends the SDP parameter sets', () => {
    const { d, out } = make(true);
    d.push(pkt(CRA, 100, true));
    expect(out[0]).toMatchObject({ keyframe: true, data: annexB(VPS, SPS, PPS, CRA) });
    for (const t of [16, 17, 18, 20]) {
      d.push(pkt(nal(t, [0x01]), 100 + t, true));
      expect(out.at(-1)!.keyframe).toBe(true);
    }
    d.push(pkt(nal(15, [0x01]), 300, true));
    expect(out.at(-1)!.keyframe).toBe(false);
  });

  it('drops and counts an access unit with a lost FU fragment', () => {
    const { d, out } = make(true);
    const [a, , c] = fu(IDR, 1000);
    d.push(pkt(a!, 100));
    d.push(pkt(c!, 100, true, 1));
    d.push(pkt(TRAIL, 200, true));
    expect(out.map((au) => au.rtpTimestamp)).toEqual([200]);
    expect(d.stats.droppedAccessUnits).toBe(1);
  });

  it('counts PACI as unsupported and a truncated AP as malformed', () => {
    const { d } = make();
    d.push(pkt(Buffer.from([50 << 1, 1, 0, 0]), 100, true));
    d.push(pkt(Buffer.from([48 << 1, 1, 0, 9, 1]), 200, true));
    expect(d.stats).toMatchObject({ unsupportedPackets: 1, malformedPackets: 1, accessUnits: 0 });
  });
});
