import type { EncodedStream } from './encoded-stream.js';

/** One RTSP request as a test server reads it. */
export interface RtspRequest {
  method: string;
  uri: string;
  /** Header names in lower case. */
  headers: Map<string, string>;
  cseq: string;
}

/**
 * The server side of an RTSP/TCP connection's input: requests, with the client's interleaved frames (RTCP
 * receiver reports) skipped. Requests carry no body here (the clients send none).
 */
export class RtspRequestReader {
  private buf: Buffer = Buffer.alloc(0);

  push(d: Buffer): RtspRequest[] {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const out: RtspRequest[] = [];
    for (;;) {
      if (this.buf.length === 0) break;
      if (this.buf[0] === 0x24) {
        if (this.buf.length < 4) break;
        const len = 4 + this.buf.readUInt16BE(2);
        if (this.buf.length < len) break;
        this.buf = this.buf.subarray(len);
        continue;
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) break;
      out.push(parseRequest(this.buf.subarray(0, end).toString('latin1')));
      this.buf = this.buf.subarray(end + 4);
    }
    return out;
  }
}

function parseRequest(text: string): RtspRequest {
  const [line = '', ...headerLines] = text.split('\r\n');
  const [method = '', uri = ''] = line.split(' ');
  const headers = new Map(headerLines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { method, uri, headers, cseq: headers.get('cseq') ?? '0' };
}

/** A response: status line, CSeq, the extra headers, and an SDP body when given. */
export function rtspResponse(cseq: string, status: string, extra: string[] = [], body = ''): string {
  const head = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, ...extra];
  if (body) head.push('Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(body)}`);
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

/** The SDP of one video track with the stream's parameter sets (what DESCRIBE answers). */
export function streamSdp(s: EncodedStream, payloadType: number, sessionName: string): string {
  const b64 = (l: Buffer[]): string => l.map((n) => n.toString('base64')).join(',');
  const p = s.parameterSets;
  const fmtp = s.codec === 'h264' ? `packetization-mode=1;sprop-parameter-sets=${b64([...p.sps, ...p.pps])}` : `sprop-vps=${b64(p.vps)};sprop-sps=${b64(p.sps)};sprop-pps=${b64(p.pps)}`;
  return [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    `s=${sessionName}`,
    't=0 0',
    'a=control:*',
    `m=video 0 RTP/AVP ${payloadType}`,
    `a=rtpmap:${payloadType} ${s.codec === 'h264' ? 'H264' : 'H265'}/90000`,
    `a=fmtp:${payloadType} ${fmtp}`,
    'a=control:track1',
    '',
  ].join('\r\n');
}
