/**
 * The RTSP Transport header (RFC 2326 §12.39) as a unicast receiver writes it in SETUP and reads it in the
 * answer: TCP interleaved channels, or UDP client and server port pairs.
 */

/** How RTP and RTCP travel: inside the RTSP connection, or as UDP datagrams of their own. */
export type RtpTransport = 'tcp' | 'udp';

export interface PortPair {
  rtp: number;
  rtcp: number;
}

/** SETUP's Transport header: TCP interleaved on channels 0-1, or UDP to the client's bound ports. */
export function transportRequest(transport: 'tcp'): string;
export function transportRequest(transport: 'udp', client: PortPair): string;
export function transportRequest(transport: RtpTransport, client?: PortPair): string {
  if (transport === 'tcp') return 'RTP/AVP/TCP;unicast;interleaved=0-1';
  if (!client) throw new RangeError('UDP transport needs the client port pair');
  return `RTP/AVP;unicast;client_port=${client.rtp}-${client.rtcp}`;
}

/** The parts of SETUP's answer a receiver acts on. */
export interface TransportAnswer {
  /** RTP/AVP and RTP/AVP/UDP are UDP; RTP/AVP/TCP is interleaved. */
  lower: 'tcp' | 'udp';
  multicast: boolean;
  /** TCP: the channels RTP and RTCP come on. */
  interleaved?: PortPair;
  /** UDP: where the server sends from and takes RTCP at. */
  serverPorts?: PortPair;
  /** UDP: the ports the server will send to (ours, echoed). */
  clientPorts?: PortPair;
  /** UDP: the address the media comes from when it is not the RTSP server's. */
  source?: string;
}

/**
 * The first transport spec of an answer's Transport header; undefined when it is not RTP/AVP at all. A pair
 * given as one number ("server_port=5000") is that port and the next, as the RFC reads it.
 */
export function parseTransport(header: string): TransportAnswer | undefined {
  const spec = header.split(',')[0]?.trim() ?? '';
  const [protocol = '', ...params] = spec.split(';').map((p) => p.trim());
  const proto = /^RTP\/AVP(?:\/(TCP|UDP))?$/i.exec(protocol);
  if (!proto) return undefined;
  const answer: TransportAnswer = { lower: proto[1]?.toUpperCase() === 'TCP' ? 'tcp' : 'udp', multicast: false };
  for (const p of params) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (name === 'multicast') answer.multicast = true;
    else if (name === 'interleaved') answer.interleaved = pair(value, 255);
    else if (name === 'server_port') answer.serverPorts = pair(value, 65_535);
    else if (name === 'client_port') answer.clientPorts = pair(value, 65_535);
    else if (name === 'source' && value) answer.source = value;
  }
  return answer;
}

function pair(value: string, max: number): PortPair | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(value);
  if (!m) return undefined;
  const rtp = Number(m[1]);
  const rtcp = m[2] !== undefined ? Number(m[2]) : rtp + 1;
  return rtp <= max && rtcp <= max ? { rtp, rtcp } : undefined;
}
