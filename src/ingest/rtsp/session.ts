import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { RemoteInfo } from 'node:dgram';
import { connect, isIP, type Socket } from 'node:net';
import { z } from 'zod';
import { silentLog, type Log } from '../../log/log.js';
import type { DepacketizedAccessUnit, NalDepacketizer } from './access-unit.js';
import { Authenticator, credentialsFromUrl, parseChallenges, stripCredentials, type Credentials } from './auth.js';
import { RtspError } from './errors.js';
import { H264Depacketizer } from './h264-depacketizer.js';
import { H265Depacketizer } from './h265-depacketizer.js';
import { RtspMessageParser, type RtspResponse } from './message.js';
import { buildReceiverReport, JitterEstimator, parseSenderReports } from './rtcp.js';
import { DEFAULT_READ_PACING_MS, ReadPacer } from './read-pacer.js';
import { ReorderBuffer } from './reorder-buffer.js';
import { parseRtp, SequenceTracker, TimestampUnwrapper, type RtpPacket } from './rtp.js';
import { findVideoTrack, offeredCodecs, parseSdp, resolveControl, type ParameterSets, type VideoCodec, type VideoTrack } from './sdp.js';
import { parseTransport, transportRequest, type PortPair } from './transport-header.js';
import { UdpPair, type UdpChannel } from './udp-pair.js';

/*
 * Hand-written rather than an npm client: measured against the registry, yellowstone (2.1) has no H.264/H.265
 * depacketization and failed against GStreamer's server, media-stream-library targets browsers over
 * WebSocket and has no H.265, and the rest wrap ffmpeg, which is the per-camera process this replaces.
 */

/** Options come from camera config, so they are checked where they enter. */
export const RtspSessionOptionsSchema = z.object({
  /** rtsp://[user:pass@]host[:port]/path; the userinfo is used for auth and never sent or logged. */
  url: z.string().regex(/^rtsp:\/\/[^/?#]+/i, 'an rtsp:// URL'),
  /**
   * How RTP and RTCP travel: tcp = interleaved in the RTSP connection; udp = datagrams to a local port pair
   * (requests and keep-alives stay on TCP). A camera that refuses UDP is an error, never a silent fallback.
   */
  transport: z.enum(['tcp', 'udp']).default('tcp'),
  connectTimeoutMs: z.number().int().positive().default(10_000),
  /** How long one request may wait for its response. */
  requestTimeoutMs: z.number().int().positive().default(10_000),
  /** No RTP for this long while playing → timeout. */
  dataTimeoutMs: z.number().int().positive().default(10_000),
  rtcpIntervalMs: z.number().int().positive().default(5_000),
  /** Overrides half the server's session timeout. */
  keepAliveMs: z.number().int().positive().optional(),
  maxAccessUnitBytes: z.number().int().positive().default(8 * 1024 * 1024),
  userAgent: z.string().default('patrol-rtsp'),
  /** While playing, read the socket in batches this far apart (see read-pacer.ts); 0 reads every packet as it comes. */
  readPacingMs: z.number().int().min(0).max(1_000).default(DEFAULT_READ_PACING_MS),
});
export type RtspSessionOptions = z.input<typeof RtspSessionOptionsSchema>;
type Options = z.output<typeof RtspSessionOptionsSchema>;

export type RtspSessionState = 'idle' | 'connecting' | 'describing' | 'setting_up' | 'playing' | 'closed';

export interface AccessUnit {
  codec: VideoCodec;
  /** Milliseconds on the RTP clock since this session's first RTP packet (unwrapped; not wall time). */
  timestampMs: number;
  /** The extended RTP timestamp, for stream copy. */
  rtpTimestamp: number;
  keyframe: boolean;
  /** Annex-B; a keyframe carries its parameter sets. */
  data: Buffer;
  parameterSets: ParameterSets;
}

export interface RtspSessionStats {
  bytesReceived: number;
  rtpPackets: number;
  lostPackets: number;
  /** Interleaved frames on a channel nobody set up, or RTP that does not parse or is another payload type. */
  ignoredPackets: number;
  /** UDP: datagrams from another address than the camera's (dropped). */
  foreignPackets: number;
  /** UDP: RTP packets that came after a later one and were put back in order. */
  reorderedPackets: number;
  garbageBytes: number;
  droppedMessages: number;
  accessUnits: number;
  droppedAccessUnits: number;
  oversizeAccessUnits: number;
  malformedPackets: number;
  unsupportedPackets: number;
  keepAlives: number;
  /** Keep-alives that got no answer while media kept coming (tolerated: see keepAlive()). */
  unansweredKeepAlives: number;
  receiverReports: number;
}

export interface RtspSessionEvents {
  accessUnit: [AccessUnit];
  state: [RtspSessionState];
  /** Emitted once, before state 'closed', when the session ends for any reason but close(). */
  error: [RtspError];
}

interface Pending {
  method: string;
  resolve: (r: RtspResponse) => void;
  reject: (e: RtspError) => void;
  timer: NodeJS.Timeout;
}

/**
 * Garbage tolerated since the last good message before the peer counts as not speaking RTSP: before PLAY
 * only stray line ends (an SDP's CRLF left out of Content-Length), so an HTTP server fails at once.
 */
const MAX_GARBAGE_SETUP = 16;
const MAX_GARBAGE_PLAYING = 256 * 1024;
const TEARDOWN_WAIT_MS = 1_000;
/** More than keep-alive answers and RTCP bring in one data timeout. */
const UNUSABLE_BYTES_NOTED = 4_096;
const DEFAULT_SESSION_TIMEOUT_S = 60;
/** UDP reordering: how long and how many packets wait for an overtaken one (ffmpeg waits 100 ms by default). */
const REORDER_WAIT_MS = 100;
const REORDER_MAX_PACKETS = 256;
const REORDER_MAX_BYTES = 1024 * 1024;

/**
 * One RTSP session to one camera: connect, OPTIONS, DESCRIBE (answering a 401 with Basic or Digest), SETUP
 * of the first H.264/H.265 video track over TCP interleaved (or UDP: `transport: 'udp'`), PLAY; then
 * keep-alives at half the session timeout (one left unanswered is tolerated while media flows: the data
 * timeout decides), RTCP receiver reports, and 'accessUnit' events. It ends once — on close() (TEARDOWN
 * sent) or on the first failure ('error' with a kind, then state 'closed') — and does not reconnect: that is
 * the caller's policy. No socket callback throws; memory is bounded by the parser, depacketizer and (UDP)
 * reorder caps.
 */
export class RtspSession extends EventEmitter<RtspSessionEvents> {
  private readonly opts: Options;
  /** The URL without userinfo: what goes on the wire and into logs. */
  readonly url: string;
  private readonly creds: Credentials | undefined;
  private readonly log: Log;
  private socket: Socket | undefined;
  private readonly parser = new RtspMessageParser();
  private stateValue: RtspSessionState = 'idle';
  private cseq = 0;
  private readonly pending = new Map<number, Pending>();
  private auth: Authenticator | undefined;
  private sessionId: string | undefined;
  private sessionTimeoutS = DEFAULT_SESSION_TIMEOUT_S;
  private publicMethods = new Set<string>();
  private trackInfo: VideoTrack | undefined;
  private depacketizer: NalDepacketizer | undefined;
  private rtpChannel = 0;
  private rtcpChannel = 1;
  /** transport udp: the bound port pair, and where media may come from and RTCP goes. */
  private udp: UdpPair | undefined;
  /** Resolves once the pair is unbound (close() waits for it, so a caller may bind the ports again). */
  private udpClosed: Promise<void> = Promise.resolve();
  private resolveUdpClosed: (() => void) | undefined;
  private mediaPeer: { sources: Set<string>; address: string; rtcpPort: number | undefined } | undefined;
  /** transport udp: datagrams may overtake each other (dgram Buffers are their own, so they can wait here). */
  private reorder: ReorderBuffer<RtpPacket> | undefined;
  private readonly sequence = new SequenceTracker();
  private readonly unwrap = new TimestampUnwrapper();
  private jitter: JitterEstimator | undefined;
  private firstTimestamp: number | undefined;
  private sourceSsrc: number | undefined;
  private lastSr: { ntpMiddle: number; at: number } | undefined;
  private readonly ownSsrc = randomBytes(4).readUInt32BE(0);
  private lastDataAt = 0;
  /** bytesReceived at the last RTP packet of the track: what came after it tells a stall from garbage. */
  private bytesAtLastData = 0;
  private lastKeepAliveAt = 0;
  private lastReportAt = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private garbageMark = 0;
  private closing = false;
  private readonly pacer: ReadPacer;
  private readonly counters = { bytesReceived: 0, rtpPackets: 0, ignoredPackets: 0, foreignPackets: 0, keepAlives: 0, receiverReports: 0, unansweredKeepAlives: 0 };

  /**
   * `pacer`: one shared by every session of the process batches all their reads into one wake-up and lends
   * them one read buffer (see read-pacer.ts); without one, a session paces itself with readPacingMs.
   */
  constructor(options: RtspSessionOptions, logger: Log = silentLog, deps: { pacer?: ReadPacer | undefined } = {}) {
    super();
    this.opts = RtspSessionOptionsSchema.parse(options);
    this.pacer = deps.pacer ?? new ReadPacer(this.opts.readPacingMs);
    this.creds = credentialsFromUrl(this.opts.url);
    this.url = stripCredentials(this.opts.url);
    this.log = logger;
  }

  get state(): RtspSessionState {
    return this.stateValue;
  }

  /** The video track set up (after DESCRIBE). */
  get track(): VideoTrack | undefined {
    return this.trackInfo;
  }

  get stats(): RtspSessionStats {
    const d = this.depacketizer?.stats;
    return {
      ...this.counters,
      lostPackets: this.sequence.lost,
      reorderedPackets: this.reorder?.stats.reordered ?? 0,
      garbageBytes: this.parser.stats.garbageBytes,
      droppedMessages: this.parser.stats.droppedMessages,
      accessUnits: d?.accessUnits ?? 0,
      droppedAccessUnits: d?.droppedAccessUnits ?? 0,
      oversizeAccessUnits: d?.oversizeAccessUnits ?? 0,
      malformedPackets: d?.malformedPackets ?? 0,
      unsupportedPackets: d?.unsupportedPackets ?? 0,
    };
  }

  get bytesReceived(): number {
    return this.counters.bytesReceived;
  }

  /** droppedAccessUnits + oversizeAccessUnits of `stats`, cheap enough to read on every access unit. */
  get brokenAccessUnits(): number {
    const d = this.depacketizer?.stats;
    return d ? d.droppedAccessUnits + d.oversizeAccessUnits : 0;
  }

  /** transport udp: the local RTP/RTCP ports while they are bound. */
  get udpPorts(): PortPair | undefined {
    return this.udp && !this.udp.closed ? { ...this.udp.ports } : undefined;
  }

  /** Bytes held in parse and reassembly buffers (bounded). */
  get bufferedBytes(): number {
    return this.parser.bufferedBytes + (this.depacketizer?.bufferedBytes ?? 0) + (this.reorder?.bufferedBytes ?? 0);
  }

  start(): void {
    if (this.stateValue !== 'idle') return;
    this.run().catch((e: unknown) => this.fail(asRtspError(e)));
  }

  /** TEARDOWN (best effort, briefly awaited) and disconnect. No 'error' event. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed' || this.closing) return this.udpClosed;
    this.closing = true;
    // TEARDOWN's answer is read as it comes, not at the next tick.
    if (this.socket) this.pacer.remove(this.socket);
    if (this.sessionId && this.socket && !this.socket.destroyed) {
      try {
        await this.request('TEARDOWN', this.trackInfo?.controlUrl ?? this.url, {}, TEARDOWN_WAIT_MS);
      } catch {
        // A camera that does not answer TEARDOWN drops the session on its own timeout.
      }
    }
    this.finish();
    await this.udpClosed;
  }

  private async run(): Promise<void> {
    this.setState('connecting');
    await this.connect();
    this.setState('describing');
    const options = await this.request('OPTIONS', this.url);
    if (options.status === 200) {
      for (const m of (options.headers.get('public') ?? '').split(',')) this.publicMethods.add(m.trim().toUpperCase());
    }
    const describe = expectOk(await this.request('DESCRIBE', this.url, { Accept: 'application/sdp' }), 'DESCRIBE');
    const base = describe.headers.get('content-base') ?? describe.headers.get('content-location') ?? this.url;
    const sdp = parseSdp(describe.body.toString('utf8'));
    const track = findVideoTrack(sdp, base);
    if (!track) {
      const offered = offeredCodecs(sdp);
      throw new RtspError('unsupported_codec', `no H.264 or H.265 video in the SDP (offered: ${offered.length ? offered.join(', ') : 'no video'})`);
    }
    this.trackInfo = track;
    this.jitter = new JitterEstimator(track.clockRate);
    const depOpts = { onAccessUnit: (au: DepacketizedAccessUnit) => this.emitAccessUnit(au), parameterSets: track.parameterSets, maxAccessUnitBytes: this.opts.maxAccessUnitBytes };
    this.depacketizer = track.codec === 'h264' ? new H264Depacketizer(depOpts) : new H265Depacketizer(depOpts);

    this.setState('setting_up');
    const udp = this.opts.transport === 'udp' ? await this.openUdp() : undefined;
    const asked = udp ? transportRequest('udp', udp.ports) : transportRequest('tcp');
    const setupAnswer = await this.request('SETUP', track.controlUrl, { Transport: asked });
    if (setupAnswer.status === 461 && udp) {
      throw new RtspError('unsupported_transport', `SETUP for RTP over UDP answered 461 ${setupAnswer.reason}`.trim(), 461);
    }
    const setup = expectOk(setupAnswer, 'SETUP');
    const sessionHeader = setup.headers.get('session');
    if (!sessionHeader) throw new RtspError('protocol', 'SETUP answered without a Session header');
    const [id = '', ...params] = sessionHeader.split(';');
    this.sessionId = id.trim();
    for (const p of params) {
      const m = /^\s*timeout\s*=\s*(\d+)/i.exec(p);
      if (m && Number(m[1]) > 0) this.sessionTimeoutS = Number(m[1]);
    }
    this.acceptTransport(setup.headers.get('transport') ?? '', asked, udp);
    if (udp) this.sendReceiverReport(Date.now(), false);

    expectOk(await this.request('PLAY', resolveControl(sdp.control, base), { Range: 'npt=0.000-' }), 'PLAY');
    const now = Date.now();
    this.lastDataAt = now;
    this.bytesAtLastData = this.counters.bytesReceived;
    this.lastKeepAliveAt = now;
    this.lastReportAt = now;
    this.setState('playing');
    if (this.socket) this.pacer.add(this.socket);
    // Datagrams too wait for the pacer's tick (paced-udp.ts), where this Node allows pausing them.
    for (const s of this.udp?.paced ?? []) this.pacer.add(s);
    this.tickTimer = setInterval(() => this.tick(), Math.min(1_000, this.opts.dataTimeoutMs / 2));
    this.tickTimer.unref();
  }

  /** The local RTP/RTCP pair, bound before SETUP names it; closed with the session. */
  private async openUdp(): Promise<UdpPair> {
    const family = this.socket?.remoteFamily === 'IPv6' ? 6 : 4;
    let pair: UdpPair;
    try {
      pair = await UdpPair.open({ family, onMessage: (ch, msg, from) => this.onDatagram(ch, msg, from), onError: (e) => this.fail(new RtspError('closed', `UDP socket failed: ${e.message}`)) });
    } catch (e) {
      throw new RtspError('protocol', `cannot receive RTP over UDP: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (this.stateValue === 'closed' || this.closing) {
      await pair.close();
      throw new RtspError('closed', 'session closed while binding the UDP ports');
    }
    this.udp = pair;
    this.reorder = new ReorderBuffer({
      release: (pkt, at) => this.onOrderedRtp(pkt, at),
      maxPackets: REORDER_MAX_PACKETS,
      // A paced datagram may have waited a period in the kernel: the packet that fills a gap still gets REORDER_WAIT_MS.
      maxWaitMs: REORDER_WAIT_MS + (pair.paced ? this.pacer.periodMs : 0),
      maxBytes: REORDER_MAX_BYTES,
      // What waits is the whole datagram the payload is a view of.
      bytes: (pkt) => pkt.payload.buffer.byteLength,
    });
    this.udpClosed = new Promise((resolve) => (this.resolveUdpClosed = resolve));
    return pair;
  }

  /** SETUP's Transport answer: the interleaved channels, or for UDP where the media comes from and RTCP goes. */
  private acceptTransport(header: string, asked: string, udp: UdpPair | undefined): void {
    const answer = header ? parseTransport(header) : undefined;
    if (!udp) {
      if (header && answer?.lower !== 'tcp') throw new RtspError('protocol', `the server refused TCP interleaved transport (${header})`);
      if (answer?.interleaved) {
        this.rtpChannel = answer.interleaved.rtp;
        this.rtcpChannel = answer.interleaved.rtcp;
      }
      return;
    }
    // A server that leaves the header out took what was asked.
    const got = header ? answer : parseTransport(asked);
    if (!got || got.lower !== 'udp' || got.interleaved) throw new RtspError('unsupported_transport', `SETUP for RTP over UDP was answered with another transport (${header})`);
    if (got.multicast) throw new RtspError('unsupported_transport', `SETUP for unicast RTP over UDP was answered with multicast (${header})`);
    if (got.clientPorts && (got.clientPorts.rtp !== udp.ports.rtp || got.clientPorts.rtcp !== udp.ports.rtcp)) {
      this.log.warn({ url: this.url, asked, answered: header }, 'rtsp SETUP answered other client ports than asked; media may not arrive');
    }
    const address = this.socket?.remoteAddress ?? '';
    const sources = new Set([address]);
    if (got.source && isIP(got.source)) sources.add(got.source);
    this.mediaPeer = { sources, address: got.source && isIP(got.source) ? got.source : address, rtcpPort: got.serverPorts?.rtcp };
  }

  private connect(): Promise<void> {
    const u = new URL(this.opts.url);
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = u.port ? Number(u.port) : 554;
    return new Promise((resolve, reject) => {
      // Read into the pacer's buffer (no Buffer per read): the parser and depacketizer copy what they keep.
      const socket = connect({ host, port, onread: { buffer: this.pacer.readBuffer, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) } });
      this.socket = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(() => reject(new RtspError('timeout', `no connection to ${host}:${port} in ${this.opts.connectTimeoutMs} ms`)), this.opts.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const err = new RtspError('closed', `connection to ${host}:${port} failed: ${e.code ?? e.message}`);
        reject(err);
        this.fail(err);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        const err = new RtspError('closed', `the server closed the connection (${this.stateValue})`);
        reject(err);
        this.fail(err);
      });
    });
  }

  private request(method: string, url: string, headers: Record<string, string> = {}, timeoutMs = this.opts.requestTimeoutMs): Promise<RtspResponse> {
    return this.send(method, url, headers, timeoutMs).then(async (res) => {
      if (res.status !== 401) return res;
      if (!this.creds) throw new RtspError('unauthorized', `${method} needs credentials (401) and the URL has none`, 401);
      const challenge = parseChallenges(res.headers.all.get('www-authenticate') ?? [])[0];
      if (!challenge) throw new RtspError('unauthorized', `${method} answered 401 with no Basic or MD5 Digest challenge`, 401);
      // A first challenge, or a new nonce for one we answered (stale), is worth one retry; a second 401 is not.
      const hadAuth = this.auth !== undefined;
      if (hadAuth && !(challenge.scheme === 'digest' && challenge.stale)) throw new RtspError('unauthorized', `${method} refused the credentials (401)`, 401);
      if (this.auth) this.auth.update(challenge);
      else this.auth = new Authenticator(this.creds, challenge);
      const retry = await this.send(method, url, headers, timeoutMs);
      if (retry.status === 401) throw new RtspError('unauthorized', `${method} refused the credentials (401, ${challenge.scheme})`, 401);
      return retry;
    });
  }

  private send(method: string, url: string, headers: Record<string, string>, timeoutMs: number): Promise<RtspResponse> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new RtspError('closed', `cannot send ${method}: not connected`));
    const cseq = ++this.cseq;
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${cseq}`, `User-Agent: ${this.opts.userAgent}`];
    if (this.sessionId) lines.push(`Session: ${this.sessionId}`);
    if (this.auth) lines.push(`Authorization: ${this.auth.header(method, url)}`);
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cseq);
        reject(new RtspError('timeout', `no answer to ${method} in ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(cseq, { method, resolve, reject, timer });
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  /** net's onread callback: `buf` is the pacer's read buffer. true = keep reading. */
  private onRead(n: number, buf: Uint8Array): boolean {
    this.onData((buf as Buffer).subarray(0, n));
    return true;
  }

  private onData(chunk: Buffer): void {
    try {
      this.counters.bytesReceived += chunk.length;
      const messages = this.parser.push(chunk);
      if (messages.length > 0) this.garbageMark = this.parser.stats.garbageBytes;
      for (const m of messages) {
        if (this.stateValue === 'closed') return;
        if (m.kind === 'interleaved') this.onInterleaved(m.channel, m.payload);
        else if (m.kind === 'response') this.onResponse(m);
        else this.reply(m.method, m.headers.get('cseq'));
      }
      const garbage = this.parser.stats.garbageBytes - this.garbageMark;
      if (garbage > (this.stateValue === 'playing' ? MAX_GARBAGE_PLAYING : MAX_GARBAGE_SETUP)) {
        this.fail(new RtspError('protocol', `the server sent ${garbage} bytes that are not RTSP`));
      }
    } catch (e) {
      this.fail(new RtspError('protocol', `could not handle the server's data: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  private onResponse(res: RtspResponse): void {
    const cseq = Number(res.headers.get('cseq'));
    let key = Number.isInteger(cseq) && this.pending.has(cseq) ? cseq : undefined;
    // A server that leaves out CSeq answers the only outstanding request.
    if (key === undefined && this.pending.size === 1 && res.headers.get('cseq') === undefined) key = this.pending.keys().next().value;
    if (key === undefined) return;
    const p = this.pending.get(key)!;
    this.pending.delete(key);
    clearTimeout(p.timer);
    p.resolve(res);
  }

  /** Servers may ask things too (OPTIONS as a ping, ANNOUNCE, SET_PARAMETER): answer so they do not wait. */
  private reply(method: string, cseq: string | undefined): void {
    const status = method === 'OPTIONS' || method === 'GET_PARAMETER' ? '200 OK' : '501 Not Implemented';
    this.socket?.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq ?? '0'}\r\n\r\n`);
  }

  private onInterleaved(channel: number, payload: Buffer): void {
    if (channel === this.rtpChannel && this.depacketizer) return this.onRtp(payload);
    if (channel === this.rtcpChannel) return this.onRtcp(payload);
    this.counters.ignoredPackets++;
  }

  /** transport udp: a datagram on the RTP or RTCP port; only the camera's own count. */
  private onDatagram(channel: UdpChannel, msg: Buffer, from: RemoteInfo): void {
    try {
      if (this.stateValue === 'closed') return;
      if (!this.mediaPeer?.sources.has(from.address)) {
        this.counters.foreignPackets++;
        return;
      }
      this.counters.bytesReceived += msg.length;
      if (channel === 'rtcp') return this.onRtcp(msg);
      if (this.depacketizer) return this.onRtp(msg);
      this.counters.ignoredPackets++;
    } catch (e) {
      this.fail(new RtspError('protocol', `could not handle the camera's RTP: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  private onRtcp(payload: Buffer): void {
    const srs = parseSenderReports(payload);
    const last = srs[srs.length - 1];
    if (last) this.lastSr = { ntpMiddle: last.ntpMiddle, at: Date.now() };
  }

  private onRtp(buf: Buffer): void {
    const pkt = parseRtp(buf);
    if (!pkt || pkt.payloadType !== this.trackInfo?.payloadType) {
      this.counters.ignoredPackets++;
      return;
    }
    const now = Date.now();
    this.lastDataAt = now;
    this.bytesAtLastData = this.counters.bytesReceived;
    this.counters.rtpPackets++;
    this.sourceSsrc = pkt.ssrc;
    if (this.reorder) this.reorder.push(pkt.sequence, pkt, now);
    else this.onOrderedRtp(pkt, now);
  }

  /** An RTP packet of the track in sequence order (TCP keeps it; UDP's go through the reorder buffer). */
  private onOrderedRtp(pkt: RtpPacket, arrivedAt: number): void {
    if (this.stateValue === 'closed') return;
    const verdict = this.sequence.push(pkt.sequence);
    if (verdict.kind === 'old') return;
    // A restarted sender breaks whatever access unit was in progress, like a loss does.
    const lost = verdict.kind === 'next' ? verdict.lost : 1;
    const timestamp = this.unwrap.unwrap(pkt.timestamp);
    this.firstTimestamp ??= timestamp;
    this.jitter?.update(pkt.timestamp, arrivedAt);
    this.depacketizer!.push({ payload: pkt.payload, timestamp, marker: pkt.marker, lost });
  }

  private emitAccessUnit(au: DepacketizedAccessUnit): void {
    const clock = this.trackInfo?.clockRate ?? 90_000;
    const out: AccessUnit = {
      codec: au.codec,
      timestampMs: ((au.rtpTimestamp - (this.firstTimestamp ?? au.rtpTimestamp)) * 1000) / clock,
      rtpTimestamp: au.rtpTimestamp,
      keyframe: au.keyframe,
      data: au.data,
      parameterSets: au.parameterSets,
    };
    try {
      this.emit('accessUnit', out);
    } catch (e) {
      // A listener's bug must not take the session (and its socket handler) down with it.
      this.log.error({ err: e instanceof Error ? e.message : String(e), url: this.url }, 'rtsp accessUnit listener threw');
    }
  }

  private tick(): void {
    try {
      if (this.stateValue !== 'playing') return;
      const now = Date.now();
      if (now - this.lastDataAt > this.opts.dataTimeoutMs) {
        this.fail(new RtspError('timeout', this.silence(now)));
        return;
      }
      // Packets after a loss wait for a datagram that may never come; a stream that paused must not keep them.
      this.reorder?.expire(now);
      const keepAliveMs = this.opts.keepAliveMs ?? (this.sessionTimeoutS * 1000) / 2;
      if (now - this.lastKeepAliveAt >= keepAliveMs) {
        this.lastKeepAliveAt = now;
        this.keepAlive();
      }
      if (now - this.lastReportAt >= this.opts.rtcpIntervalMs) {
        this.lastReportAt = now;
        this.sendReceiverReport(now);
      }
    } catch (e) {
      this.fail(new RtspError('protocol', `session upkeep failed: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  /** How long the media has been missing; bytes that kept coming without one RTP packet of the track are garbage, not a stall. */
  private silence(now: number): string {
    const ms = now - this.lastDataAt;
    const unusable = this.counters.bytesReceived - this.bytesAtLastData;
    if (unusable > UNUSABLE_BYTES_NOTED) return `no usable media for ${ms} ms (${unusable} bytes arrived, none of them RTP of the video track)`;
    if (!this.udp) return `no media for ${ms} ms`;
    const foreign = this.counters.foreignPackets > 0 ? `; ${this.counters.foreignPackets} datagrams came from other addresses than the camera's and were dropped` : '';
    // Media that never came at all over UDP is most often a firewall or NAT between camera and client.
    if (this.counters.rtpPackets === 0) return `no media over UDP for ${ms} ms: a firewall or NAT may drop UDP; try rtspTransport: tcp${foreign}`;
    return `no media over UDP for ${ms} ms${foreign}`;
  }

  private keepAlive(): void {
    this.counters.keepAlives++;
    const method = this.publicMethods.has('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';
    this.request(method, this.url).then(
      (res) => {
        if (res.status === 454) this.fail(new RtspError('session_not_found', `${method} keep-alive: session not found (454)`, 454));
      },
      (e: unknown) => {
        const err = asRtspError(e);
        // A camera that streams on but leaves a keep-alive unanswered is alive (some firmwares ignore them over TCP):
        // the media decides, and a camera that stalls as well is caught by the data timeout.
        if (err.kind === 'timeout' && this.stateValue === 'playing' && Date.now() - this.lastDataAt < this.opts.dataTimeoutMs) {
          if (this.counters.unansweredKeepAlives++ === 0) this.log.warn({ url: this.url, method }, `rtsp keep-alive (${method}) not answered; the stream goes on, so the session is kept`);
          return;
        }
        // Media gone too: the silence is the root cause, the unanswered keep-alive its echo.
        if (err.kind === 'timeout' && this.stateValue === 'playing') return this.fail(new RtspError('timeout', `${this.silence(Date.now())}, and ${err.message}`));
        this.fail(err);
      },
    );
  }

  /** `count` false: the one sent after SETUP to open the RTCP path through NATs and firewalls. */
  private sendReceiverReport(now: number, count = true): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    if (this.udp && this.mediaPeer?.rtcpPort === undefined) return;
    const loss = this.sequence.reportLoss();
    const block =
      this.sourceSsrc === undefined
        ? undefined
        : {
            sourceSsrc: this.sourceSsrc,
            ...loss,
            extendedHighestSeq: this.sequence.extendedMax,
            jitter: this.jitter?.jitter ?? 0,
            lastSr: this.lastSr?.ntpMiddle ?? 0,
            delaySinceLastSr: this.lastSr ? ((now - this.lastSr.at) * 65536) / 1000 : 0,
          };
    const rr = buildReceiverReport(this.ownSsrc, block, `patrol-${this.ownSsrc.toString(16)}`);
    if (this.udp && this.mediaPeer?.rtcpPort !== undefined) {
      this.udp.sendRtcp(rr, this.mediaPeer.rtcpPort, this.mediaPeer.address);
    } else {
      const head = Buffer.from([0x24, this.rtcpChannel, rr.length >> 8, rr.length & 0xff]);
      socket.write(Buffer.concat([head, rr]));
    }
    if (count) this.counters.receiverReports++;
  }

  private setState(s: RtspSessionState): void {
    if (this.stateValue === s || this.stateValue === 'closed') return;
    this.stateValue = s;
    try {
      this.emit('state', s);
    } catch (e) {
      this.log.error({ err: e instanceof Error ? e.message : String(e), url: this.url }, 'rtsp state listener threw');
    }
  }

  /** The first failure ends the session; later ones (the close that follows an error) are its echo. */
  private fail(err: RtspError): void {
    if (this.stateValue === 'closed') return;
    if (this.closing) return this.finish();
    this.log.warn({ url: this.url, kind: err.kind, status: err.status }, `rtsp session failed: ${err.message}`);
    if (this.listenerCount('error') > 0) {
      try {
        this.emit('error', err);
      } catch (e) {
        this.log.error({ err: e instanceof Error ? e.message : String(e), url: this.url }, 'rtsp error listener threw');
      }
    }
    this.finish();
  }

  private finish(): void {
    if (this.stateValue === 'closed') return;
    if (this.tickTimer) clearInterval(this.tickTimer);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RtspError('closed', `session closed before ${p.method} was answered`));
    }
    this.pending.clear();
    if (this.socket) this.pacer.remove(this.socket);
    for (const s of this.udp?.paced ?? []) this.pacer.remove(s);
    this.socket?.destroy();
    if (this.udp) void this.udp.close().then(this.resolveUdpClosed);
    this.setState('closed');
    this.stateValue = 'closed';
  }
}

function expectOk(res: RtspResponse, method: string): RtspResponse {
  if (res.status >= 200 && res.status < 300) return res;
  const what = `${method} answered ${res.status} ${res.reason}`.trim();
  if (res.status === 401) throw new RtspError('unauthorized', what, 401);
  if (res.status === 404) throw new RtspError('not_found', what, 404);
  if (res.status === 454) throw new RtspError('session_not_found', what, 454);
  throw new RtspError('protocol', what, res.status);
}

function asRtspError(e: unknown): RtspError {
  return e instanceof RtspError ? e : new RtspError('protocol', e instanceof Error ? e.message : String(e));
}
