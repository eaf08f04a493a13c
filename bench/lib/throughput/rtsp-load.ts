/**
 * The load generator of bench:throughput: the GStreamer RTSP test server (support/rtsp-server.py, the same
 * server as TestRtspServer) plus one `ffmpeg -re -stream_loop -1 … -c copy -f rtp` feeder per mount.
 *
 * Unlike TestRtspServer it takes its ports from a block below the kernel's ephemeral range, each UDP port
 * checked free together with the next one (where the feeder sends RTCP). With dozens of mounts on a machine
 * where other jobs run RTSP servers and feeders too, kernel-picked ports collided: a mount's udpsrc (bound
 * only when the first client connects) found its port taken by some socket's ephemeral port, or a feeder's RTCP
 * landed on another mount's RTP port, and cameras got "Invalid data", 401s from a foreign server, or silence.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { blockPort } from '../../../support/ports.js';

const SERVER_SCRIPT = fileURLToPath(new URL('../../../support/rtsp-server.py', import.meta.url));
const PYTHON = process.env.PATROL_RTSP_PYTHON ?? '/usr/bin/python3';
export interface RtspLoadOptions {
  mounts: string[];
  /** MPEG-TS clip each feeder loops in real time. */
  clip: string;
  ffmpeg: string;
  /** Server threads for clients (support/rtsp-server.py --client-threads); default GStreamer's one. */
  clientThreads?: number;
}

export class RtspLoad {
  private constructor(
    readonly port: number,
    private readonly server: ChildProcess,
    private readonly feeders: ChildProcess[],
  ) {}

  static async start(o: RtspLoadOptions): Promise<RtspLoad> {
    const port = await blockPort('tcp');
    const udp: Array<[string, number]> = [];
    for (const m of o.mounts) udp.push([m, await blockPort('udp-pair')]);
    const args = [SERVER_SCRIPT, '--port', String(port), '--parent-watch', ...udp.flatMap(([m, p]) => ['--mount', `${m}=${p}`]), ...(o.clientThreads ? ['--client-threads', String(o.clientThreads)] : [])];
    // stdin stays open: --parent-watch ends the server when this process dies, however it dies.
    const server = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    server.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (why: string) => {
          clearTimeout(timer);
          reject(new Error(`RTSP test server did not start (${why}). Needs ${PYTHON} with python3-gi and gir1.2-gst-rtsp-server-1.0. ${stderr}`));
        };
        const timer = setTimeout(() => fail('no READY in 15 s'), 15_000);
        server.once('error', (e) => fail(e.message));
        server.once('exit', (code) => fail(`exited with ${code}`));
        server.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('READY')) {
            clearTimeout(timer);
            server.removeAllListeners('exit');
            resolve();
          }
        });
      });
    } catch (err) {
      server.kill('SIGKILL');
      throw err;
    }
    const feeders = udp.map(([, p]) =>
      spawn(o.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '-1', '-i', o.clip, '-c', 'copy', '-f', 'rtp', `rtp://127.0.0.1:${p}`], {
        stdio: ['ignore', 'ignore', 'ignore'],
      }),
    );
    return new RtspLoad(port, server, feeders);
  }

  url(mount: string): string {
    return `rtsp://127.0.0.1:${this.port}/${mount}`;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.feeders, this.server].map((p) => kill(p)));
  }
}

function kill(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGKILL');
  });
}
