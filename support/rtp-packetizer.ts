import type { StreamCodec } from './encoded-stream.js';

export interface RtpHeaderFields {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
}

export function rtpPacket(h: RtpHeaderFields, payload: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head[0] = 0x80;
  head[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  head.writeUInt16BE(h.sequence & 0xffff, 2);
  head.writeUInt32BE(h.timestamp >>> 0, 4);
  head.writeUInt32BE(h.ssrc >>> 0, 8);
  return Buffer.concat([head, payload]);
}

/**
 * The RTP payloads of one access unit as a camera sends them (RFC 6184 / RFC 7798): a NAL unit that fits in
 * `maxPayload` goes alone, a bigger one in fragmentation units (FU-A, type 28; H.265 FU, type 49).
 */
export function packetizeAccessUnit(codec: StreamCodec, nals: readonly Buffer[], maxPayload: number): Buffer[] {
  const out: Buffer[] = [];
  for (const nal of nals) {
    if (nal.length <= maxPayload) {
      out.push(nal);
      continue;
    }
    const headerLen = codec === 'h264' ? 1 : 2;
    const type = codec === 'h264' ? nal[0]! & 0x1f : (nal[0]! >> 1) & 0x3f;
    const indicator = codec === 'h264' ? Buffer.from([(nal[0]! & 0xe0) | 28]) : Buffer.from([(nal[0]! & 0x81) | (49 << 1), nal[1]!]);
    const chunk = maxPayload - headerLen - 1;
    for (let at = headerLen; at < nal.length; at += chunk) {
      const start = at === headerLen ? 0x80 : 0;
      const end = at + chunk >= nal.length ? 0x40 : 0;
      out.push(Buffer.concat([indicator, Buffer.from([start | end | type]), nal.subarray(at, at + chunk)]));
    }
  }
  return out;
}

/** `$`, channel, 16-bit length: RTSP's interleaved framing over the TCP connection (RFC 2326 §10.12). */
export function interleaved(channel: number, payload: Buffer): Buffer {
  const head = Buffer.from([0x24, channel & 0xff, (payload.length >> 8) & 0xff, payload.length & 0xff]);
  return Buffer.concat([head, payload]);
}
