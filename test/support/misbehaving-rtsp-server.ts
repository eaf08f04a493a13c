import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { EncodedStream } from '../../support/encoded-stream.js';
import { prng } from './prng.js';
import { interleaved, packetizeAccessUnit, rtpPacket } from '../../support/rtp-packetizer.js';
import { RtspRequestReader, rtspResponse, streamSdp, type RtspRequest } from '../../support/rtsp-wire.js';

/**
 * What the server does wrong, read at every tick and every request, so a test turns a fault on and off
 * while cameras are connected. A new connection sees the fault in force when it arrives.
 */
export type Fault =
  | { kind: 'none' }
  /** Close the socket after `packets` RTP packets of the `unit`-th picture after a keyframe (1 = the first P-frame). */
  | { kind: 'drop-mid-gop'; unit: number; packets: number }
  /** Packet loss mid-GOP: the `unit`-th picture after each keyframe loses its packets after the first `packets` (the sequence numbers go on). */
  | { kind: 'lose-packets'; unit: number; packets: number }
  /**
   * Garbage on the wire next to the real stream, every picture:
   * random-rtp     — an RTP packet with the right payload type, SSRC and next sequence number, random payload;
   * random-frames  — interleaved frames of random bytes on the RTP channel;
   * wrong-channel  — interleaved frames of random bytes on channels nobody set up;
   * truncated-rtp  — interleaved frames of 1–11 bytes (shorter than an RTP header);
   * raw-bytes      — random bytes outside any framing.
   * About `bytes` of it (default 4000) after every real packet.
   */
  | { kind: 'garbage'; style: 'random-rtp' | 'random-frames' | 'wrong-channel' | 'truncated-rtp' | 'raw-bytes'; bytes?: number }
  /** A `$` frame announcing 65535 bytes; then nothing more ('stall') or the stream goes on inside it ('stream'). */
  | { kind: 'absurd-length'; then: 'stall' | 'stream' }
  /** Keep-alives (GET_PARAMETER, OPTIONS with a session) never answered; the media goes on ('keep') or stops ('stall'). */
  | { kind: 'ignore-keepalives'; media: 'keep' | 'stall' }
  /** The real packets go out on interleaved channel 4, which SETUP never named (nothing usable arrives). */
  | { kind: 'misrouted' }
  /** The media stops; requests are still answered (a frozen encoder behind a live RTSP server). */
  | { kind: 'stall' }
  /** The TCP connection is accepted and nothing is ever answered. */
  | { kind: 'mute' }
  /** Every request answered 401 with a Basic challenge: no credentials are right. */
  | { kind: 'unauthorized' }
  /** 454 Session Not Found to PLAY, or to the keep-alives after it. */
  | { kind: 'session-not-found'; on: 'play' | 'keepalive' };

export interface MisbehavingServerOptions {
  /** Pictures to stream; `useStream(i)` switches between them at the next keyframe (a resolution change). */
  streams: EncodedStream[];
  /** Announced in SETUP's Session header: the client sends keep-alives at half of it. Default 2 s. */
  sessionTimeoutS?: number;
  /** Largest RTP payload: bigger NAL units go in fragmentation units. Default 1200. */
  maxPayload?: number;
  /** A new connection starts where the live stream is (mid-GOP, as cameras do) or at a keyframe. Default live. */
  startAt?: 'live' | 'keyframe';
  /** For reproducible garbage. */
  seed?: number;
}

export interface ServerStats {
  connections: number;
  /** Requests by method, as received. */
  requests: Record<string, number>;
  /** Keep-alives received and deliberately left unanswered. */
  ignoredKeepAlives: number;
  /** Sockets the server closed mid-GOP. */
  midGopDrops: number;
  /** Packets left out by 'lose-packets'. */
  lostPackets: number;
  garbageBytes: number;
}

const PAYLOAD_TYPE = 96;

/**
 * A scriptable RTSP server for fault tests, over real TCP: OPTIONS, DESCRIBE (SDP with the parameter sets),
 * SETUP (TCP interleaved only), PLAY, GET_PARAMETER, TEARDOWN; then real encoded access units as RTP over
 * the interleaved channel at the stream's frame rate, with whatever fault is set.
 */
export class MisbehavingRtspServer {
  fault: Fault = { kind: 'none' };
  readonly stats: ServerStats = { connections: 0, requests: {}, ignoredKeepAlives: 0, midGopDrops: 0, lostPackets: 0, garbageBytes: 0 };
  private streamIndex = 0;
  private readonly connections = new Set<Connection>();
  private readonly startedAt = Date.now();
  private random: () => number;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly opts: MisbehavingServerOptions,
  ) {
    this.random = prng(opts.seed ?? 1);
  }

  static async start(opts: MisbehavingServerOptions): Promise<MisbehavingRtspServer> {
    if (opts.streams.length === 0) throw new Error('MisbehavingRtspServer: no stream to serve');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    if (!addr || typeof addr === 'string') throw new Error('no port');
    const s = new MisbehavingRtspServer(server, addr.port, opts);
    server.on('connection', (socket) => s.accept(socket));
    return s;
  }

  url(path = 'cam', userinfo?: string): string {
    return `rtsp://${userinfo ? `${userinfo}@` : ''}127.0.0.1:${this.port}/${path}`;
  }

  get currentStream(): EncodedStream {
    return this.opts.streams[this.streamIndex]!;
  }

  /** Switches every connection to stream `i` at its next keyframe, with its new parameter sets in-band. */
  useStream(i: number): void {
    if (!this.opts.streams[i]) throw new RangeError(`no stream ${i}`);
    this.streamIndex = i;
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.connections.size;
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Where the live stream is now (a picture index into the current stream). */
  liveIndex(): number {
    const s = this.currentStream;
    return Math.floor(((Date.now() - this.startedAt) * s.fps) / 1000) % s.units.length;
  }

  randomBytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.random() * 256);
    return b;
  }

  randomInt(n: number): number {
    return Math.floor(this.random() * n);
  }

  private accept(socket: Socket): void {
    this.stats.connections++;
    const c = new Connection(this, socket);
    this.connections.add(c);
    socket.on('close', () => {
      c.destroy();
      this.connections.delete(c);
    });
  }

  countRequest(method: string): void {
    this.stats.requests[method] = (this.stats.requests[method] ?? 0) + 1;
  }
}

/** One client connection: its RTSP dialogue and, once playing, its RTP clock. */
class Connection {
  private readonly reader = new RtspRequestReader();
  private readonly sessionId = randomBytes(6).toString('hex');
  private timer: NodeJS.Timeout | undefined;
  private stream: EncodedStream;
  private cursor = 0;
  /** Pictures sent since the last keyframe (0 = the keyframe); -1 before the first keyframe. */
  private sinceKey = -1;
  private sequence: number;
  private timestamp: number;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private stalled = false;
  private absurdSent = false;

  constructor(
    private readonly server: MisbehavingRtspServer,
    private readonly socket: Socket,
  ) {
    this.stream = server.currentStream;
    this.sequence = server.randomInt(0x10000);
    this.timestamp = server.randomInt(0x7fffffff);
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => this.onData(d));
  }

  destroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.socket.destroy();
  }

  private write(b: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(b);
  }

  private onData(d: Buffer): void {
    for (const r of this.reader.push(d)) this.onRequest(r);
  }

  private onRequest({ method, uri, headers, cseq }: RtspRequest): void {
    this.server.countRequest(method);
    const answer = (status: string, extra: string[] = [], body = ''): void => this.write(rtspResponse(cseq, status, extra, body));
    const fault = this.server.fault;
    if (fault.kind === 'mute') return;
    if (fault.kind === 'unauthorized') return answer('401 Unauthorized', ['WWW-Authenticate: Basic realm="patrol-fault-test"']);
    const keepAlive = method === 'GET_PARAMETER' || (method === 'OPTIONS' && headers.has('session'));
    if (keepAlive && fault.kind === 'ignore-keepalives') {
      this.server.stats.ignoredKeepAlives++;
      return;
    }
    if (keepAlive && fault.kind === 'session-not-found' && fault.on === 'keepalive') return answer('454 Session Not Found');
    switch (method) {
      case 'OPTIONS':
      case 'GET_PARAMETER':
        return answer('200 OK', method === 'OPTIONS' ? ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER'] : [`Session: ${this.sessionId}`]);
      case 'DESCRIBE':
        return answer('200 OK', [`Content-Base: ${uri.replace(/\/?$/, '/')}`], streamSdp(this.stream, PAYLOAD_TYPE, 'patrol fault server'));
      case 'SETUP':
        return answer('200 OK', [`Session: ${this.sessionId};timeout=${this.server.opts.sessionTimeoutS ?? 2}`, 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1']);
      case 'PLAY':
        if (fault.kind === 'session-not-found' && fault.on === 'play') return answer('454 Session Not Found');
        answer('200 OK', [`Session: ${this.sessionId}`, 'Range: npt=0.000-']);
        return this.play();
      case 'TEARDOWN':
        answer('200 OK', [`Session: ${this.sessionId}`]);
        return this.destroy();
      default:
        return answer('501 Not Implemented');
    }
  }

  private play(): void {
    if (this.timer) return;
    this.cursor = this.server.opts.startAt === 'keyframe' ? 0 : this.server.liveIndex();
    this.timer = setInterval(() => this.tick(), 1000 / this.stream.fps);
  }

  private tick(): void {
    const fault = this.server.fault;
    if (this.stalled || this.socket.destroyed) return;
    if (fault.kind === 'stall' || (fault.kind === 'ignore-keepalives' && fault.media === 'stall')) return;
    if (fault.kind === 'absurd-length' && !this.absurdSent) {
      this.absurdSent = true;
      // 65535 announced, a few sent: the client must wait for the rest, and not forever.
      this.write(Buffer.concat([Buffer.from([0x24, 0, 0xff, 0xff]), this.server.randomBytes(16)]));
      if (fault.then === 'stall') return void (this.stalled = true);
    }
    let unit = this.stream.units[this.cursor]!;
    const next = this.server.currentStream;
    if (next !== this.stream && unit.keyframe) {
      // A resolution change lands on a keyframe, with the new stream's parameter sets in-band.
      this.stream = next;
      this.cursor = 0;
      unit = this.stream.units[0]!;
    }
    this.sinceKey = unit.keyframe ? 0 : this.sinceKey < 0 ? -1 : this.sinceKey + 1;
    const payloads = packetizeAccessUnit(this.stream.codec, unit.nals, this.server.opts.maxPayload ?? 1200);
    for (let i = 0; i < payloads.length; i++) {
      if (fault.kind === 'drop-mid-gop' && this.sinceKey === fault.unit && i === fault.packets) {
        this.server.stats.midGopDrops++;
        return this.destroy();
      }
      const rtp = rtpPacket({ payloadType: PAYLOAD_TYPE, sequence: this.sequence++, timestamp: this.timestamp, ssrc: this.ssrc, marker: i === payloads.length - 1 }, payloads[i]!);
      if (fault.kind === 'lose-packets' && this.sinceKey === fault.unit && i >= fault.packets) {
        this.server.stats.lostPackets++;
        continue;
      }
      this.write(interleaved(fault.kind === 'misrouted' ? 4 : 0, rtp));
      if (fault.kind === 'garbage') for (let sent = 0; sent < (fault.bytes ?? 4000); ) sent += this.garbage(fault.style, 1400);
    }
    this.timestamp = (this.timestamp + 90_000 / this.stream.fps) >>> 0;
    this.cursor = (this.cursor + 1) % this.stream.units.length;
  }

  /** One piece of garbage of at most `bytes`; returns its size. */
  private garbage(style: Extract<Fault, { kind: 'garbage' }>['style'], bytes: number): number {
    const s = this.server;
    let out: Buffer;
    switch (style) {
      case 'random-rtp':
        out = interleaved(0, rtpPacket({ payloadType: PAYLOAD_TYPE, sequence: this.sequence++, timestamp: this.timestamp, ssrc: this.ssrc, marker: false }, s.randomBytes(1 + s.randomInt(bytes))));
        break;
      case 'random-frames':
        out = interleaved(0, s.randomBytes(1 + s.randomInt(bytes)));
        break;
      case 'wrong-channel':
        out = interleaved(2 + s.randomInt(250), s.randomBytes(1 + s.randomInt(bytes)));
        break;
      case 'truncated-rtp':
        out = interleaved(0, s.randomBytes(1 + s.randomInt(11)));
        break;
      case 'raw-bytes':
        out = s.randomBytes(bytes);
        break;
    }
    s.stats.garbageBytes += out.length;
    this.write(out);
    return out.length;
  }
}
