import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveFfmpeg } from '../../../src/decode/ffmpeg-path.js';
import { blockPort } from '../../../support/ports.js';
import { killAndWait } from '../../../support/process.js';

const SERVER_SCRIPT = fileURLToPath(new URL('../../../support/rtsp-server.py', import.meta.url));
export const PYTHON = process.env.PATROL_RTSP_PYTHON ?? '/usr/bin/python3';
/**
 * Runs a command with PR_SET_PDEATHSIG = SIGKILL, then execs it: the kernel kills it when this test process
 * dies, however it dies, so a crashed or killed test run leaves no ffmpeg looping.
 */
export const DIE_WITH_PARENT = "import ctypes,os,signal,sys; ctypes.CDLL('libc.so.6').prctl(1, signal.SIGKILL); os.execvp(sys.argv[1], sys.argv[1:])";

export interface FaultRtspOptions {
  /** Mount name → MPEG-TS clip its feeder loops. */
  mounts: Record<string, string>;
  /** 'user:pass' → every mount requires HTTP basic auth. */
  auth?: string;
  /** Listen on this port (e.g. one a camera has been failing to reach); default: a free one. */
  port?: number;
}

interface Mount {
  udpPort: number;
  clip: string;
  feeder?: ChildProcess;
  stopped: boolean;
}

/**
 * The test RTSP server (support/rtsp-server.py) with its camera feeders run from here, one
 * `ffmpeg -re -stream_loop -1 -i clip.ts -c copy -f rtp` per mount, so a test can break one camera at a time:
 * freeze its feeder (SIGSTOP: the RTSP session stays open, no more media), swap its clip for a corrupt one,
 * or kill and restart the whole server while the feeders keep sending.
 */
export class FaultRtspServer {
  private server: ChildProcess | undefined;
  private readonly mounts = new Map<string, Mount>();

  private constructor(
    readonly port: number,
    private readonly opts: FaultRtspOptions,
  ) {}

  static async start(opts: FaultRtspOptions): Promise<FaultRtspServer> {
    const s = new FaultRtspServer(opts.port ?? (await blockPort('tcp')), opts);
    for (const [name, clip] of Object.entries(opts.mounts)) s.mounts.set(name, { udpPort: await blockPort('udp-pair'), clip, stopped: false });
    await s.up();
    for (const name of s.mounts.keys()) s.startFeeder(name);
    return s;
  }

  url(mount: string, credentials?: string): string {
    if (!this.mounts.has(mount)) throw new Error(`no mount ${mount}`);
    return `rtsp://${credentials ? `${credentials}@` : ''}127.0.0.1:${this.port}/${mount}`;
  }

  get pid(): number | undefined {
    return this.server?.pid;
  }

  private async up(): Promise<void> {
    const args = [SERVER_SCRIPT, '--port', String(this.port), '--parent-watch'];
    for (const [m, { udpPort }] of this.mounts) args.push('--mount', `${m}=${udpPort}`);
    if (this.opts.auth) args.push('--auth', this.opts.auth);
    const proc = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(new Error(`RTSP test server did not start on port ${this.port} (${why}). ${stderr}`));
      };
      const timer = setTimeout(() => fail('no READY line in 20 s'), 20_000);
      proc.once('error', (e) => fail(e.message));
      proc.once('exit', (code) => fail(`exited with ${code}`));
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
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

  private startFeeder(name: string): void {
    const m = this.mounts.get(name)!;
    const args = ['-hide_banner', '-loglevel', 'fatal', '-nostdin', '-re', '-stream_loop', '-1', '-i', m.clip, '-c', 'copy', '-f', 'rtp', `rtp://127.0.0.1:${m.udpPort}`];
    const feeder = spawn(PYTHON, ['-c', DIE_WITH_PARENT, resolveFfmpeg().path, ...args], { stdio: 'ignore' });
    m.feeder = feeder;
    m.stopped = false;
    // A feeder that dies on its own (it should not, even on a corrupt clip) is restarted: the camera is the
    // thing under test, not the feeder.
    feeder.once('exit', () => {
      if (m.feeder === feeder && !m.stopped) setTimeout(() => m.feeder === feeder && !m.stopped && this.startFeeder(name), 200);
    });
  }

  /** The camera freezes: its feeder is SIGSTOPped, so the RTSP session stays open and no media flows. */
  freeze(mount: string): void {
    this.mounts.get(mount)!.feeder?.kill('SIGSTOP');
  }

  /** The frozen camera comes back (SIGCONT). */
  thaw(mount: string): void {
    this.mounts.get(mount)!.feeder?.kill('SIGCONT');
  }

  /** Replace a mount's clip (e.g. with a corrupt one): the feeder restarts on it. */
  async setClip(mount: string, clip: string): Promise<void> {
    const m = this.mounts.get(mount)!;
    m.clip = clip;
    await this.killFeeder(m);
    this.startFeeder(mount);
  }

  private async killFeeder(m: Mount): Promise<void> {
    const f = m.feeder;
    m.stopped = true;
    m.feeder = undefined;
    await killAndWait(f);
  }

  /** The server crashes (SIGKILL): clients lose their TCP connection, new ones are refused. Feeders keep sending. */
  async kill(): Promise<void> {
    const proc = this.server;
    this.server = undefined;
    await killAndWait(proc);
  }

  /** Back on the same port, same mounts. */
  async restart(): Promise<void> {
    await this.kill();
    await this.up();
  }

  async stop(): Promise<void> {
    await this.kill();
    await Promise.all([...this.mounts.values()].map((m) => this.killFeeder(m)));
  }
}
