import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { resolveFfmpeg } from '../src/decode/ffmpeg-path.js';
import { blockPort } from './ports.js';
import { killAndWait } from './process.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./rtsp-server.py', import.meta.url));
/** Debian's python, where python3-gi and the GStreamer typelibs live (a pyenv python has no gi). */
const PYTHON = process.env.PATROL_RTSP_PYTHON ?? '/usr/bin/python3';

export interface TestRtspServerOptions {
  /** Mount names, e.g. ['cam1', 'cam2']; each gets its own looping feeder. */
  mounts: string[];
  /** MPEG-TS file each feeder loops in real time. */
  clip: string;
  /** 'user:pass' → every mount requires auth (HTTP Basic unless authMethod says otherwise). */
  auth?: string;
  /** How `auth` is asked for: 'digest' is RFC 2617 MD5 Digest without qop, as GStreamer offers it. */
  authMethod?: 'basic' | 'digest';
  /** What `clip` holds; 'h265' serves H.265 RTP (an HEVC MPEG-TS clip), 'mpeg4' MPEG-4 Part 2. Default 'h264'. */
  codec?: 'h264' | 'h265' | 'mpeg4';
}

type ServerProcess = ChildProcessByStdio<Writable, Readable, Readable>;

/**
 * A real RTSP server (Debian's GStreamer RTSP server, support/rtsp-server.py) on free ports, with one
 * `ffmpeg -re -stream_loop -1 -i clip.ts -c copy -f rtp` feeder per mount. The server starts the feeders
 * itself, tied to its own life, and exits when this process's end of its stdin closes: a crashed test run
 * leaves no ffmpeg looping forever. kill() takes it down like a crash (SIGKILL), restart() brings it back
 * on the same port.
 */
export class TestRtspServer {
  private server: ServerProcess | undefined;
  private readonly udpPorts = new Map<string, number>();

  private constructor(
    readonly port: number,
    private readonly opts: TestRtspServerOptions,
  ) {}

  static async start(opts: TestRtspServerOptions): Promise<TestRtspServer> {
    const s = new TestRtspServer(await blockPort('tcp'), opts);
    for (const m of opts.mounts) s.udpPorts.set(m, await blockPort('udp-pair'));
    await s.up();
    return s;
  }

  /** rtsp://127.0.0.1:PORT/MOUNT, with `user:pass@` when given. */
  url(mount: string, credentials?: string): string {
    if (!this.udpPorts.has(mount)) throw new Error(`no mount ${mount}; mounts: ${[...this.udpPorts.keys()].join(', ')}`);
    return `rtsp://${credentials ? `${credentials}@` : ''}127.0.0.1:${this.port}/${mount}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Starts the server process and waits for its READY line. */
  private async up(): Promise<void> {
    const args = [SERVER_SCRIPT, '--port', String(this.port), '--parent-watch', '--feed', this.opts.clip, '--ffmpeg', resolveFfmpeg().path];
    for (const [m, udp] of this.udpPorts) args.push('--mount', `${m}=${udp}`);
    if (this.opts.auth) args.push('--auth', this.opts.auth);
    if (this.opts.auth && this.opts.authMethod) args.push('--auth-method', this.opts.authMethod);
    if (this.opts.codec) args.push('--codec', this.opts.codec);
    const proc = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(new Error(`RTSP test server did not start (${why}). It needs ${PYTHON} with python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good and -bad. ${stderr}`));
      };
      const timer = setTimeout(() => fail('no READY line in 15 s'), 15_000);
      proc.once('error', (e) => fail(e.message));
      proc.once('exit', (code) => fail(`exited with ${code}`));
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('READY')) {
          clearTimeout(timer);
          proc.removeAllListeners('exit');
          resolve();
        }
      });
    });
    this.server = proc;
  }

  /** Crash the server (SIGKILL): clients lose their TCP connection, new ones are refused. */
  async kill(): Promise<void> {
    const proc = this.server;
    this.server = undefined;
    await killAndWait(proc);
  }

  /** Bring the server back on the same port (after kill()). */
  async restart(): Promise<void> {
    await this.kill();
    await this.up();
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}
