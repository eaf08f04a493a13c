/**
 * The parts of an SDP (RFC 8866) a video client needs: each media section's payload types, control URL,
 * rtpmap and fmtp, and the H.264 / H.265 parameter sets a camera puts in its fmtp (RFC 6184 §8.1,
 * RFC 7798 §7.1) so the first keyframe decodes even when the stream repeats none in-band.
 */

export type VideoCodec = 'h264' | 'h265';

export interface SdpMedia {
  type: string;
  payloadTypes: number[];
  /** a=control as written (absolute, relative, or '*'). */
  control?: string;
  /** From a=rtpmap of the first payload type. */
  encoding?: string;
  clockRate?: number;
  /** a=fmtp of the first payload type, keys lower-cased. */
  fmtp: Record<string, string>;
}

export interface Sdp {
  /** Session-level a=control. */
  control?: string;
  media: SdpMedia[];
}

export interface ParameterSets {
  /** H.265 only. */
  vps?: Buffer[];
  sps: Buffer[];
  pps: Buffer[];
}

export interface VideoTrack {
  codec: VideoCodec;
  payloadType: number;
  clockRate: number;
  /** The URL SETUP goes to. */
  controlUrl: string;
  /** NAL units without start codes, from the fmtp; empty lists when the SDP carries none. */
  parameterSets: ParameterSets;
}

export function parseSdp(text: string): Sdp {
  const sdp: Sdp = { media: [] };
  let media: SdpMedia | undefined;
  const rtpmaps = new Map<SdpMedia | undefined, Map<number, string>>();
  const fmtps = new Map<SdpMedia | undefined, Map<number, string>>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const kind = line[0];
    const value = line.slice(2);
    if (kind === 'm') {
      const [type = '', , , ...fmts] = value.split(/\s+/);
      media = { type, payloadTypes: fmts.map(Number).filter((n) => Number.isInteger(n) && n >= 0 && n < 128), fmtp: {} };
      sdp.media.push(media);
      continue;
    }
    if (kind !== 'a') continue;
    const colon = value.indexOf(':');
    const attr = colon < 0 ? value : value.slice(0, colon);
    const rest = colon < 0 ? '' : value.slice(colon + 1);
    if (attr === 'control') {
      if (media) media.control = rest.trim();
      else sdp.control = rest.trim();
    } else if (attr === 'rtpmap' || attr === 'fmtp') {
      const m = /^(\d+)\s+(.*)$/.exec(rest.trim());
      if (!m) continue;
      const table = attr === 'rtpmap' ? rtpmaps : fmtps;
      const perMedia = table.get(media) ?? new Map<number, string>();
      table.set(media, perMedia);
      perMedia.set(Number(m[1]), m[2]!);
    }
  }
  for (const m of sdp.media) {
    const pt = m.payloadTypes[0];
    if (pt === undefined) continue;
    const map = rtpmaps.get(m)?.get(pt);
    if (map) {
      const [encoding = '', clock] = map.trim().split('/');
      m.encoding = encoding;
      const rate = Number(clock);
      if (Number.isInteger(rate) && rate > 0) m.clockRate = rate;
    }
    const fmtp = fmtps.get(m)?.get(pt);
    if (fmtp) {
      for (const part of fmtp.split(';')) {
        const eq = part.indexOf('=');
        if (eq <= 0) continue;
        m.fmtp[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
      }
    }
  }
  return sdp;
}

/**
 * The first H.264 or H.265 video section, with its control URL resolved against `baseUrl` (Content-Base,
 * else the DESCRIBE URL). Undefined when the SDP offers no video in either codec.
 */
export function findVideoTrack(sdp: Sdp, baseUrl: string): VideoTrack | undefined {
  for (const m of sdp.media) {
    if (m.type !== 'video') continue;
    const enc = m.encoding?.toUpperCase();
    const codec: VideoCodec | undefined = enc === 'H264' ? 'h264' : enc === 'H265' || enc === 'HEVC' ? 'h265' : undefined;
    const payloadType = m.payloadTypes[0];
    if (!codec || payloadType === undefined) continue;
    return {
      codec,
      payloadType,
      clockRate: m.clockRate ?? 90_000,
      controlUrl: resolveControl(m.control ?? sdp.control, baseUrl),
      parameterSets: codec === 'h264' ? h264ParameterSets(m.fmtp) : h265ParameterSets(m.fmtp),
    };
  }
  return undefined;
}

/** Video codecs the SDP names (for an unsupported_codec error that says what the camera offers). */
export function offeredCodecs(sdp: Sdp): string[] {
  return sdp.media.filter((m) => m.type === 'video').map((m) => m.encoding ?? `pt ${m.payloadTypes[0] ?? '?'}`);
}

export function resolveControl(control: string | undefined, baseUrl: string): string {
  if (!control || control === '*') return baseUrl;
  if (/^rtsps?:\/\//i.test(control)) return control;
  // Relative to the base: a base ending in '/' is a directory, else the control joins with one.
  return baseUrl.endsWith('/') ? baseUrl + control.replace(/^\//, '') : `${baseUrl}/${control.replace(/^\//, '')}`;
}

function h264ParameterSets(fmtp: Record<string, string>): ParameterSets {
  const sets = { sps: [] as Buffer[], pps: [] as Buffer[] };
  for (const nal of base64List(fmtp['sprop-parameter-sets'])) {
    const type = nal[0]! & 0x1f;
    if (type === 7) sets.sps.push(nal);
    else if (type === 8) sets.pps.push(nal);
  }
  return sets;
}

function h265ParameterSets(fmtp: Record<string, string>): ParameterSets {
  return { vps: base64List(fmtp['sprop-vps']), sps: base64List(fmtp['sprop-sps']), pps: base64List(fmtp['sprop-pps']) };
}

function base64List(text: string | undefined): Buffer[] {
  if (!text) return [];
  return text
    .split(',')
    .map((s) => Buffer.from(s.trim(), 'base64'))
    .filter((b) => b.length > 0);
}
