import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { EncodedStream } from '../encoded-stream.js';
import { interleaved, packetizeAccessUnit, rtpPacket } from '../rtp-packetizer.js';
import { RtspRequestReader, rtspResponse, streamSdp, type RtspRequest } from '../rtsp-wire.js';
import { livePicture, mountPhaseMs } from './live-clock.js';

const PAYLOAD_TYPE = 96;
/** A client this far behind (bytes queued on its socket) is cut off, as a camera drops a reader that stalls. */
const MAX_QUEUED_BYTES = 8 << 20;
/** Pictures sent at once to a session that fell behind (a stalled event loop); older ones are skipped. */
const MAX_CATCH_UP = 10;

export interface FarmServerOptions {
  /** Mounts /cam1 … /camN. */
  mounts: number;
  /** What every mount loops; its length must be whole GOPs (it starts on a keyframe). */
  stream: EncodedStream;
  port?: number;
  host?: string;
  /** Announced in SETUP's Session header. Default 60 s, as cameras announce. */
  sessionTimeoutS?: number;
}

export interface FarmStats {
  connections: number;
  openConnections: number;
  maxOpenConnections: number;
  plays: number;
  teardowns: number;
  /** Requests answered 404 (no such mount). */
  notFound: number;
  requests: Record<string, number>;
  /** Sessions cut off for falling behind. */
  slowReaders: number;
}

/**
 * A camera farm: one RTSP server (TCP interleaved, or RTP over UDP for a SETUP that asks for client ports) with N live mounts that loop the same real H.264 pictures,
 * each at its own phase of the wall clock (live-clock.ts). Nothing runs for a mount nobody watches: one timer
 * paces the sessions that are playing, and stops when none is.
 */
export class CameraFarmServer {
  readonly stats: FarmStats = { connections: 0, openConnections: 0, maxOpenConnections: 0, plays: 0, teardowns: 0, notFound: 0, requests: {}, slowReaders: 0 };
  /** Every picture's RTP payloads, packetized once. */
  readonly payloads: Buffer[][];
  readonly loopMs: number;
  private readonly playing = new Set<FarmSession>();
  private readonly sessions = new Set<FarmSession>();
  private ticker: NodeJS.Timeout | undefined;
  /** Sends every UDP session's RTP (bound at start: SETUP names its port as server_port). */
  udp!: UdpSocket;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly opts: FarmServerOptions,
  ) {
    this.payloads = opts.stream.units.map((u) => packetizeAccessUnit(opts.stream.codec, u.nals, 1400));
    this.loopMs = (opts.stream.units.length * 1000) / opts.stream.fps;
  }

  static async start(opts: FarmServerOptions): Promise<CameraFarmServer> {
    const s = opts.stream;
    if (!(opts.mounts >= 1)) throw new RangeError('camera farm: mounts must be at least 1');
    if (s.units.length === 0 || !s.units[0]!.keyframe || s.units.length % s.gop !== 0) {
      throw new Error(`camera farm: the stream must start on a keyframe and be whole GOPs (${s.units.length} pictures, GOP ${s.gop})`);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
    });
    const addr = server.address();
    if (!addr || typeof addr === 'string') throw new Error('camera farm: no port');
    const farm = new CameraFarmServer(server, addr.port, opts);
    farm.udp = createSocket('udp4');
    farm.udp.on('error', () => {});
    await new Promise<void>((resolve) => farm.udp.bind(0, opts.host ?? '127.0.0.1', resolve));
    server.on('connection', (socket) => farm.accept(socket));
    return farm;
  }

  url(mount: number): string {
    return `rtsp://127.0.0.1:${this.port}/cam${mount}`;
  }

  /** The mount a request URI names (1-based), or undefined. */
  mountOf(uri: string): number | undefined {
    const m = /^rtsp:\/\/[^/]+\/cam(\d+)(?:\/|$)/.exec(uri);
    const k = m ? Number(m[1]) : Number.NaN;
    return Number.isInteger(k) && k >= 1 && k <= this.opts.mounts ? k : undefined;
  }

  phaseMs(mount: number): number {
    return mountPhaseMs(mount, this.loopMs);
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
  }

  countRequest(method: string): void {
    this.stats.requests[method] = (this.stats.requests[method] ?? 0) + 1;
  }

  setPlaying(s: FarmSession, on: boolean): void {
    if (on) this.playing.add(s);
    else this.playing.delete(s);
    if (this.playing.size > 0 && !this.ticker) this.ticker = setInterval(() => this.tick(), 1000 / this.opts.stream.fps / 2);
    if (this.playing.size === 0 && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const s of this.playing) s.sendDue(now);
  }

  private accept(socket: Socket): void {
    const st = this.stats;
    st.connections++;
    st.openConnections++;
    st.maxOpenConnections = Math.max(st.maxOpenConnections, st.openConnections);
    const s = new FarmSession(this, socket);
    this.sessions.add(s);
    socket.on('close', () => {
      st.openConnections--;
      s.destroy();
      this.sessions.delete(s);
    });
  }
}

/** One client connection: its RTSP dialogue and, once playing, the mount's live pictures. */
class FarmSession {
  private readonly reader = new RtspRequestReader();
  private readonly sessionId = randomBytes(6).toString('hex');
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private readonly timestampBase = randomBytes(4).readUInt32BE(0);
  private sequence = randomBytes(2).readUInt16BE(0);
  private mount: number | undefined;
  /** The next picture (count since the epoch) to send. */
  private next = 0;
  /** RTP over UDP: the client's RTP port (SETUP's client_port); undefined = interleaved. */
  private udpPort: number | undefined;

  constructor(
    private readonly farm: CameraFarmServer,
    private readonly socket: Socket,
  ) {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      for (const r of this.reader.push(d)) this.onRequest(r);
    });
  }

  destroy(): void {
    this.farm.setPlaying(this, false);
    this.socket.destroy();
  }

  private onRequest({ method, uri, cseq, headers }: RtspRequest): void {
    const farm = this.farm;
    farm.countRequest(method);
    const answer = (status: string, extra: string[] = [], body = ''): void => {
      if (!this.socket.destroyed) this.socket.write(rtspResponse(cseq, status, extra, body));
    };
    if (method === 'OPTIONS') return answer('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER']);
    if (method === 'GET_PARAMETER') return answer('200 OK', [`Session: ${this.sessionId}`]);
    if (method === 'TEARDOWN') {
      farm.stats.teardowns++;
      answer('200 OK', [`Session: ${this.sessionId}`]);
      return this.farm.setPlaying(this, false);
    }
    const mount = farm.mountOf(uri) ?? this.mount;
    if (mount === undefined) {
      farm.stats.notFound++;
      return answer('404 Not Found');
    }
    this.mount = mount;
    switch (method) {
      case 'DESCRIBE':
        return answer('200 OK', [`Content-Base: ${uri.replace(/\/?$/, '/')}`], streamSdp(farm.opts.stream, PAYLOAD_TYPE, `patrol camera farm cam${mount}`));
      case 'SETUP': {
        const asked = headers.get('transport') ?? '';
        const ports = /client_port=(\d+)-(\d+)/.exec(asked);
        const session = `Session: ${this.sessionId};timeout=${farm.opts.sessionTimeoutS ?? 60}`;
        if (!ports || /interleaved/.test(asked)) return answer('200 OK', [session, 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1']);
        this.udpPort = Number(ports[1]);
        const server = farm.udp.address().port;
        return answer('200 OK', [session, `Transport: RTP/AVP;unicast;client_port=${ports[1]}-${ports[2]};server_port=${server}-${server + 1}`]);
      }
      case 'PLAY': {
        answer('200 OK', [`Session: ${this.sessionId}`, 'Range: npt=now-']);
        farm.stats.plays++;
        // Live: from the picture the mount is at now, mid-GOP as likely as not.
        this.next = livePicture(Date.now(), farm.phaseMs(mount), farm.opts.stream.fps);
        farm.setPlaying(this, true);
        return this.sendDue(Date.now());
      }
      default:
        return answer('501 Not Implemented');
    }
  }

  /** Sends the pictures due by `now` on this mount's clock. */
  sendDue(now: number): void {
    const farm = this.farm;
    const s = farm.opts.stream;
    if (this.socket.destroyed || this.mount === undefined) return;
    if (this.socket.writableLength > MAX_QUEUED_BYTES) {
      farm.stats.slowReaders++;
      return this.destroy();
    }
    const due = livePicture(now, farm.phaseMs(this.mount), s.fps);
    if (due - this.next >= MAX_CATCH_UP) this.next = due - MAX_CATCH_UP + 1;
    const step = 90_000 / s.fps;
    for (; this.next <= due; this.next++) {
      const payloads = farm.payloads[this.next % s.units.length]!;
      const timestamp = (this.timestampBase + Math.round(this.next * step)) >>> 0;
      const packets = payloads.map((p, i) => rtpPacket({ payloadType: PAYLOAD_TYPE, sequence: this.sequence++, timestamp, ssrc: this.ssrc, marker: i === payloads.length - 1 }, p));
      if (this.udpPort !== undefined) {
        for (const p of packets) farm.udp.send(p, this.udpPort, '127.0.0.1');
        continue;
      }
      const frames = packets.map((p) => interleaved(0, p));
      this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
    }
  }
}
