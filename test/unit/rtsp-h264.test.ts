import { describe, expect, it } from 'vitest';
import type { DepacketizedAccessUnit, RtpPayload } from '../../src/ingest/rtsp/access-unit.js';
import { H264Depacketizer } from '../../src/ingest/rtsp/h264-depacketizer.js';

const SC = [0, 0, 0, 1];
const SPS = Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00]);
const PPS = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const IDR = Buffer.concat([Buffer.from([0x65, 0x88, 0x84]), Buffer.alloc(3000, 0xab)]);
const P = Buffer.from([0x41, 0x9a, 0x02, 0x03]);

function make(opts: { sdp?: boolean; max?: number } = {}): { d: H264Depacketizer; out: DepacketizedAccessUnit[] } {
  const out: DepacketizedAccessUnit[] = [];
  const d = new H264Depacketizer({ onAccessUnit: (au) => out.push(au), ...(opts.sdp ? { parameterSets: { sps: [SPS], pps: [PPS] } } : {}), ...(opts.max ? { maxAccessUnitBytes: opts.max } : {}) });
  return { d, out };
}
const pkt = (payload: Buffer, timestamp: number, marker = false, lost = 0): RtpPayload => ({ payload, timestamp, marker, lost });
const stapA = (...nals: Buffer[]): Buffer => Buffer.concat([Buffer.from([0x18]), ...nals.flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n])]);
/** FU-A fragments of `nal` (header byte dropped, as RFC 6184 §5.8 writes them). */
function fuA(nal: Buffer, size: number): Buffer[] {
  const indicator = (nal[0]! & 0xe0) | 28;
  const body = nal.subarray(1);
  const out: Buffer[] = [];
  for (let pos = 0; pos < body.length; pos += size) {
    const start = pos === 0;
    const end = pos + size >= body.length;
    out.push(Buffer.concat([Buffer.from([indicator, (start ? 0x80 : 0) | (end ? 0x40 : 0) | (nal[0]! & 0x1f)]), body.subarray(pos, pos + size)]));
  }
  return out;
}
const annexB = (...nals: Buffer[]): Buffer => Buffer.concat(nals.flatMap((n) => [Buffer.from(SC), n]));

describe('H.264 depacketizer', () => {
  it('joins STAP-A parameter sets and an FU-A IDR into one keyframe access unit', () => {
    const { d, out } = make();
    d.push(pkt(stapA(SPS, PPS), 3000));
    const frags = fuA(IDR, 1100);
    expect(frags).toHaveLength(3); // start, middle, end
    frags.forEach((f, i) => d.push(pkt(f, 3000, i === frags.length - 1)));
    d.push(pkt(P, 6000, true));
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ codec: 'h264', rtpTimestamp: 3000, keyframe: true });
    expect(out[0]!.data).toEqual(annexB(SPS, PPS, IDR));
    expect(out[0]!.parameterSets).toEqual({ sps: [SPS], pps: [PPS] });
    expect(out[1]).toMatchObject({ keyframe: false, data: annexB(P) });
  });

  it('copies what it keeps: packets read into one buffer that every read overwrites still make whole frames', () => {
    const { d, out } = make();
    // One read buffer for everything, as the socket reads into (read-pacer.ts); each packet is a view into it.
    const read = Buffer.alloc(2048);
    const via = (payload: Buffer, timestamp: number, marker = false): void => {
      payload.copy(read);
      d.push(pkt(read.subarray(0, payload.length), timestamp, marker));
      read.fill(0xee);
    };
    via(stapA(SPS, PPS), 3000);
    const frags = fuA(IDR, 1100);
    frags.forEach((f, i) => via(f, 3000, i === frags.length - 1));
    via(P, 6000);
    via(Buffer.from([0x41, 0x9a, 0x05]), 6000, true);
    expect(out).toHaveLength(2);
    expect(out[0]!.data).toEqual(annexB(SPS, PPS, IDR));
    expect(out[0]!.parameterSets).toEqual({ sps: [SPS], pps: [PPS] });
    expect(out[1]!.data).toEqual(annexB(P, Buffer.from([0x41, 0x9a, 0x05])));
    expect(out[1]!.data.buffer).not.toBe(read.buffer);
  });

  it('puts small frames side by side in memory of its own, not in slices of the shared Buffer pool', () => {
    const { d, out } = make();
    for (let i = 0; i < 3; i++) d.push(pkt(Buffer.from(P), 3000 * (i + 1), true));
    expect(out).toHaveLength(3);
    expect(out[1]!.data.buffer).toBe(out[0]!.data.buffer);
    expect(out[1]!.data.byteOffset).toBe(out[0]!.data.byteOffset + out[0]!.data.length);
    // Node's pool slabs are 8 KiB: a chunk of the depacketizer's own is larger.
    expect(out[0]!.data.buffer.byteLength).toBeGreaterThan(8192);
  });

  it('prepends the SDP parameter sets to an IDR that arrives without them, after its AUD', () => {
    const { d, out } = make({ sdp: true });
    const aud = Buffer.from([0x09, 0xf0]);
    d.push(pkt(aud, 90));
    d.push(pkt(IDR, 90, true));
    expect(out[0]!.data).toEqual(annexB(aud, SPS, PPS, IDR));
  });

  it('drops and counts the access unit whose middle FU-A fragment was lost', () => {
    const { d, out } = make({ sdp: true });
    const [a, , c] = fuA(IDR, 1000);
    d.push(pkt(a!, 100));
    d.push(pkt(c!, 100, true, 1)); // the sequence tracker saw one packet missing
    d.push(pkt(P, 200, true));
    expect(out.map((au) => au.rtpTimestamp)).toEqual([200]);
    expect(d.stats.droppedAccessUnits).toBe(1);
  });

  it('drops an FU-A whose start never came, or that never ended before the next timestamp', () => {
    const { d, out } = make({ sdp: true });
    const [a, b] = fuA(IDR, 1000);
    d.push(pkt(b!, 100, true)); // middle without start (no loss reported: a broken sender)
    d.push(pkt(a!, 200)); // start, then the timestamp moves on
    d.push(pkt(P, 300, true));
    expect(out.map((au) => au.rtpTimestamp)).toEqual([300]);
    expect(d.stats.droppedAccessUnits).toBe(2);
  });

  it('emits an access unit whose marker was lost when the timestamp moves on', () => {
    const { d, out } = make();
    d.push(pkt(P, 100));
    d.push(pkt(P, 200, true));
    expect(out.map((au) => au.rtpTimestamp)).toEqual([100, 200]);
  });

  it('keeps parameter sets sent alone and does not emit them as a frame', () => {
    const { d, out } = make();
    d.push(pkt(stapA(SPS, PPS), 50, true));
    d.push(pkt(IDR, 100, true));
    expect(out).toHaveLength(1);
    expect(out[0]!.data).toEqual(annexB(SPS, PPS, IDR));
  });

  it('drops an access unit over the size cap and counts it', () => {
    const { d, out } = make({ max: 2000 });
    for (const f of fuA(IDR, 500)) d.push(pkt(f, 100));
    d.push(pkt(P, 100, true));
    d.push(pkt(P, 200, true));
    expect(out.map((au) => au.rtpTimestamp)).toEqual([200]);
    expect(d.stats.oversizeAccessUnits).toBe(1);
    expect(d.bufferedBytes).toBe(0);
  });

  it('counts interleaved-mode packetizations as unsupported and malformed STAP-A as malformed', () => {
    const { d, out } = make();
    d.push(pkt(Buffer.from([0x19, 0, 0, 0]), 100, true)); // STAP-B
    d.push(pkt(Buffer.from([0x18, 0x00, 0x09, 0x67]), 200, true)); // size past the end
    d.push(pkt(P, 300, true));
    expect(d.stats).toMatchObject({ unsupportedPackets: 1, malformedPackets: 1, accessUnits: 1 });
    expect(out).toHaveLength(1);
  });
});
