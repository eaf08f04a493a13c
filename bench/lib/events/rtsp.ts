import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveFfmpeg } from '../../../src/decode/ffmpeg-path.js';
import { freePort } from '../../../support/redis.js';

/** The real RTSP server of the tests (GStreamer, one shared media per mount fed by RTP over local UDP). */
const SERVER_SCRIPT = fileURLToPath(new URL('../../../support/rtsp-server.py', import.meta.url));
const PYTHON = process.env.PATROL_RTSP_PYTHON ?? '/usr/bin/python3';

export interface FixtureMount {
  /** Mount name (the camera id). */
  name: string;
  /** MPEG-TS file the feeder loops in real time. */
  clip: string;
}

/**
 * support/rtsp.ts's server with one clip per mount and feeders under the bench's control: the bench
 * needs each feeder's start time (file time 0 on the wall clock) and to stop a feeder after one loop.
 * Same server script, same feeder command (`ffmpeg -re -stream_loop -1 -i CLIP -c copy -f rtp`).
 */
export class FixtureRtspServer {
  private server: ChildProcess | undefined;
  private readonly feeders = new Map<string, ChildProcess>();
  private readonly udp = new Map<string, number>();
  private stderr = '';
  /** Resolved once: resolveFfmpeg() probes the binary, which takes a second on a loaded machine. */
  readonly ffmpeg = resolveFfmpeg().path;

  private constructor(
    readonly port: number,
    private readonly mounts: readonly FixtureMount[],
  ) {}

  static async start(mounts: readonly FixtureMount[]): Promise<FixtureRtspServer> {
    const s = new FixtureRtspServer(await freePort(), mounts);
    for (const m of mounts) s.udp.set(m.name, await freePort());
    try {
      await s.up();
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  url(mount: string): string {
    return `rtsp://127.0.0.1:${this.port}/${mount}`;
  }

  private async up(): Promise<void> {
    const args = [SERVER_SCRIPT, '--port', String(this.port)];
    for (const [m, udp] of this.udp) args.push('--mount', `${m}=${udp}`);
    const proc = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = proc;
    proc.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer);
        reject(new Error(`RTSP server did not start (${why}). Needs ${PYTHON} with python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good/bad (or run with --mode file). ${this.stderr}`));
      };
      const timer = setTimeout(() => fail('no READY in 15 s'), 15_000);
      proc.once('error', (e) => fail(e.message));
      proc.once('exit', (code) => fail(`exited with ${code}`));
      proc.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('READY')) {
          clearTimeout(timer);
          proc.removeAllListeners('exit');
          resolve();
        }
      });
    });
  }

  /** Starts the mount's feeder (its clip, or `clip`); returns the wall time (epoch ms) taken as file time 0. */
  startFeeder(mount: string, clip?: string): number {
    const m = this.mounts.find((x) => x.name === mount);
    const udp = this.udp.get(mount);
    if (!m || udp === undefined) throw new Error(`no mount ${mount}`);
    if (this.feeders.has(mount)) throw new Error(`mount ${mount} already has a feeder`);
    const ffmpeg = this.ffmpeg;
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '-1', '-i', clip ?? m.clip, '-c', 'copy', '-f', 'rtp', `rtp://127.0.0.1:${udp}`];
    const t0 = Date.now();
    const p = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr?.on('data', (d: Buffer) => process.stderr.write(`[feeder ${mount}] ${d.toString()}`));
    this.feeders.set(mount, p);
    return t0;
  }

  async stopFeeder(mount: string): Promise<void> {
    const p = this.feeders.get(mount);
    this.feeders.delete(mount);
    await stopProcess(p, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.feeders.keys()].map((m) => this.stopFeeder(m)));
    await stopProcess(this.server, 'SIGKILL');
    this.server = undefined;
  }
}

function stopProcess(proc: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill(signal);
  });
}
