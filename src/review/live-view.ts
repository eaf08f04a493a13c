import type { ChildProcess } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { CameraConfig } from '../config/schema.js';
import { redactCredentials } from '../log/redact.js';
import { concatOptionsSupported, inputScript, scriptInputArgs, spawnFfmpeg } from '../decode/secret-input.js';

/**
 * On-demand live view through node-rtsp-stream: ffmpeg turns the camera into MPEG-1 in MPEG-TS (what
 * jsmpeg plays) and a WebSocket server fans it out. The stream starts when the first viewer arrives and
 * stops when the last one leaves; viewers reach it only through the authenticated proxy (live-proxy.ts).
 *
 * node-rtsp-stream 0.0.9 binds its WebSocket server to every interface with no auth, copies ffmpeg's
 * stderr (which prints the input URL, credentials included) to our stderr, and cannot pass input
 * options (`-rtsp_transport tcp`, `-re -stream_loop -1` for file cameras). So its VideoStream is
 * subclassed: the WebSocket server binds 127.0.0.1 on an ephemeral port, ffmpeg is spawned with the right
 * input options and its stderr is kept (redacted) for error messages only; node-rtsp-stream still
 * provides the stream object, its `ws` dependency and the jsmpeg wire format (8-byte "jsmp" header,
 * then MPEG-TS chunks as binary messages).
 *
 * Loopback is not private: any user on the machine can connect to 127.0.0.1. Each stream's server therefore
 * only accepts a handshake whose path is that stream's random secret (`/<64 hex>`), which only the
 * authenticated proxy knows; and the camera URL reaches ffmpeg on a pipe, not its command line.
 */

const require = createRequire(import.meta.url);

interface WsClient {
  readyState: number;
  send(data: Buffer | Uint8Array, opts?: { binary?: boolean }): void;
  on(event: 'close', listener: () => void): void;
}
interface WsServer extends EventEmitter {
  clients: Set<WsClient>;
  address(): AddressInfo | string | null;
  close(cb?: () => void): void;
}
interface VideoStreamInstance extends EventEmitter {
  stream?: ChildProcess;
  wsServer: WsServer;
  width?: number;
  height?: number;
  stop(): unknown;
}
type VideoStreamCtor = new (options: Record<string, unknown>) => VideoStreamInstance;

const VideoStream = require('node-rtsp-stream') as VideoStreamCtor;
// The `ws` that node-rtsp-stream itself depends on (resolved from its folder, not ours).
const { Server: WebSocketServer } = createRequire(require.resolve('node-rtsp-stream'))('ws') as {
  Server: new (opts: {
    host: string;
    port: number;
    perMessageDeflate?: boolean;
    verifyClient?: (info: { req: { url?: string } }) => boolean;
  }) => WsServer;
};

export interface LiveStreamOptions {
  name: string;
  /** ffmpeg input arguments, ending with `-i <input>`; no secret (argv is world-readable). */
  inputArgs: string[];
  /** What ffmpeg reads on fd 3 (the URL, for a network camera). */
  inputScript?: string;
  /** The path a WebSocket handshake must ask for. */
  secretPath: string;
  ffmpegPath: string;
  /** Output width in pixels (height keeps the aspect); capped at the source width. */
  maxWidth: number;
}

class LoopbackStream extends VideoStream {
  /** The last few ffmpeg stderr lines, redacted, for the error a viewer sees when the camera fails. */
  // `declare`: set inside super() (which calls startMpeg1Stream); a field initializer would wipe it.
  declare lastLines: string[];

  constructor(options: LiveStreamOptions) {
    super({ ...options });
  }

  get secretPath(): string {
    return (this as unknown as { options: LiveStreamOptions }).options.secretPath;
  }

  startMpeg1Stream(): this {
    const o = (this as unknown as { options: LiveStreamOptions }).options;
    const args = [
      '-hide_banner', '-loglevel', 'info', '-nostdin',
      ...o.inputArgs,
      '-an', '-vf', `scale='min(${o.maxWidth},iw)':-2`, '-r', '25',
      '-f', 'mpegts', '-codec:v', 'mpeg1video', '-b:v', '1500k', '-bf', '0', '-',
    ];
    const child = spawnFfmpeg(o.ffmpegPath, args, o.inputScript);
    this.stream = child;
    this.lastLines = [];
    child.stdout!.on('data', (data: Buffer) => this.emit('camdata', data));
    let output = false;
    let pending = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split(/\r?\n|\r/);
      pending = lines.pop() ?? '';
      for (const raw of lines) {
        const line = redactCredentials(raw);
        if (line.startsWith('Output #')) output = true;
        const size = output && this.width === undefined ? /Video: mpeg1video.*?, (\d{2,5})x(\d{2,5})/.exec(line) : null;
        if (size) {
          this.width = Number(size[1]);
          this.height = Number(size[2]);
          this.emit('size');
        }
        this.lastLines.push(line);
        if (this.lastLines.length > 8) this.lastLines.shift();
      }
    });
    child.on('error', (err) => this.emit('ffmpegExit', null, err));
    child.on('exit', (code) => this.emit('ffmpegExit', code));
    return this;
  }

  pipeStreamToSocketServer(): this {
    const secret = Buffer.from((this as unknown as { options: LiveStreamOptions }).options.secretPath);
    this.wsServer = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      verifyClient: ({ req }) => {
        const asked = Buffer.from(req.url ?? '');
        return asked.length === secret.length && timingSafeEqual(asked, secret);
      },
    });
    this.wsServer.on('connection', (socket: WsClient) => this.greet(socket));
    this.on('camdata', (data: Buffer) => {
      for (const client of this.wsServer.clients) if (client.readyState === 1) client.send(data, { binary: true });
    });
    return this;
  }

  /** The jsmpeg stream header: "jsmp", width and height (uint16 BE). */
  private greet(socket: WsClient): void {
    const header = Buffer.alloc(8);
    header.write('jsmp');
    header.writeUInt16BE(this.width ?? 0, 4);
    header.writeUInt16BE(this.height ?? 0, 6);
    socket.send(header, { binary: true });
  }
}

export interface LiveViewOptions {
  cameras: readonly CameraConfig[];
  ffmpegPath?: string;
  logger?: Logger;
  /** Live picture width (default 960). */
  width?: number;
  /** Keep a stream this long after its last viewer leaves, for a quick reopen (default 0: stop at once). */
  idleStopMs?: number;
  /** How long to wait for the first picture before giving up (default 15 s). */
  startTimeoutMs?: number;
}

interface Running {
  stream: LoopbackStream;
  ready: Promise<number>;
  viewers: number;
  idleTimer?: NodeJS.Timeout;
}

export class LiveViewError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 502 | 504,
  ) {
    super(message);
    this.name = 'LiveViewError';
  }
}

/** ffmpeg input arguments for a camera URL, and the script that carries a network URL to it on fd 3. */
export function liveInput(url: string, concatOptions: boolean, rtspTransport: 'tcp' | 'udp' = 'tcp'): { args: string[]; script?: string } {
  if (url.startsWith('file://')) {
    // A file camera plays in real time, looping, like a live one.
    return { args: ['-re', '-stream_loop', '-1', '-i', fileURLToPath(url)] };
  }
  const options: Record<string, string> = url.startsWith('rtsp://') || url.startsWith('rtsps://') ? { rtsp_transport: rtspTransport } : {};
  return { args: scriptInputArgs(), script: inputScript({ url, options, concatOptions }) };
}

/** Live streams by camera, reference-counted by viewers. */
export class LiveView {
  private readonly running = new Map<string, Running>();
  private readonly cameras: Map<string, CameraConfig>;

  constructor(private readonly opts: LiveViewOptions) {
    this.cameras = new Map(opts.cameras.filter((c) => c.enabled).map((c) => [c.id, c]));
  }

  has(cameraId: string): boolean {
    return this.cameras.has(cameraId);
  }

  /** Cameras streaming right now, with their viewer counts. */
  active(): Record<string, number> {
    return Object.fromEntries([...this.running].map(([id, r]) => [id, r.viewers]));
  }

  /**
   * One more viewer: starts the stream if needed and resolves with the loopback port of its WebSocket
   * server once the first picture size is known. Call the returned `release` exactly once when the
   * viewer leaves.
   */
  async acquire(cameraId: string): Promise<{ port: number; path: string; release: () => void }> {
    const camera = this.cameras.get(cameraId);
    if (!camera) throw new LiveViewError(`no camera ${cameraId} with live view`, 404);
    let r = this.running.get(cameraId);
    if (!r) r = this.start(camera);
    clearTimeout(r.idleTimer);
    r.viewers++;
    const entry = r;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.release(cameraId, entry);
    };
    try {
      return { port: await entry.ready, path: entry.stream.secretPath, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Where a running stream's WebSocket server listens (always loopback); null when not running. */
  address(cameraId: string): AddressInfo | null {
    const a = this.running.get(cameraId)?.stream.wsServer.address();
    return a && typeof a === 'object' ? a : null;
  }

  async close(): Promise<void> {
    for (const [id, r] of [...this.running]) this.stop(id, r);
  }

  private start(camera: CameraConfig): Running {
    const ffmpegPath = this.opts.ffmpegPath ?? 'ffmpeg';
    const input = liveInput(camera.url, !camera.url.startsWith('file://') && concatOptionsSupported(ffmpegPath), camera.rtspTransport);
    const stream = new LoopbackStream({
      name: camera.id,
      inputArgs: input.args,
      inputScript: input.script,
      secretPath: `/${randomBytes(32).toString('hex')}`,
      ffmpegPath,
      maxWidth: this.opts.width ?? 960,
    });
    const log = this.opts.logger?.child({ cameraId: camera.id });
    log?.info('review: live view started');
    const ready = new Promise<number>((resolve, reject) => {
      let listening = false;
      const timer = setTimeout(() => fail(new LiveViewError(`camera ${camera.id}: no picture within ${(this.opts.startTimeoutMs ?? 15_000) / 1000} s`, 504)), this.opts.startTimeoutMs ?? 15_000);
      const done = () => {
        if (!listening || stream.width === undefined) return;
        clearTimeout(timer);
        resolve((stream.wsServer.address() as AddressInfo).port);
      };
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
        this.stop(camera.id, entry);
      };
      stream.wsServer.on('listening', () => {
        listening = true;
        done();
      });
      stream.wsServer.on('error', (err: Error) => fail(new LiveViewError(`live view server: ${err.message}`, 502)));
      stream.on('size', done);
      stream.on('ffmpegExit', (code: number | null, err?: Error) => {
        const why = err ? err.message : `ffmpeg exited with code ${code}: ${stream.lastLines.slice(-2).join(' | ')}`;
        log?.warn({ why }, 'review: live view stream ended');
        fail(new LiveViewError(`camera ${camera.id}: ${why}`, 502));
      });
    });
    // Nobody may be awaiting `ready` when it fails (all viewers gone); that is not an unhandled error.
    ready.catch(() => undefined);
    const entry: Running = { stream, ready, viewers: 0 };
    this.running.set(camera.id, entry);
    return entry;
  }

  private release(cameraId: string, r: Running): void {
    r.viewers = Math.max(0, r.viewers - 1);
    if (r.viewers > 0 || this.running.get(cameraId) !== r) return;
    const idle = this.opts.idleStopMs ?? 0;
    if (idle <= 0) this.stop(cameraId, r);
    else r.idleTimer = setTimeout(() => this.stop(cameraId, r), idle);
  }

  private stop(cameraId: string, r: Running): void {
    if (this.running.get(cameraId) !== r) return;
    this.running.delete(cameraId);
    clearTimeout(r.idleTimer);
    r.stream.removeAllListeners('camdata');
    try {
      // node-rtsp-stream's stop(): closes the WebSocket server (dropping its clients) and kills ffmpeg.
      r.stream.stop();
    } catch {
      r.stream.stream?.kill('SIGKILL');
    }
    this.opts.logger?.info({ cameraId }, 'review: live view stopped');
  }
}
