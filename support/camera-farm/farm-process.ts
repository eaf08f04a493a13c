import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { FarmStats } from './farm-server.js';

const REPO = join(import.meta.dirname, '..', '..');
const MAIN = join(import.meta.dirname, 'main.ts');

export interface CameraFarmOptions {
  mounts: number;
  /** A video file every mount loops (re-encoded to the patrol profile); default lavfi testsrc2. */
  source?: string;
  width?: number;
  height?: number;
  fps?: number;
  gop?: number;
  /** Length of the loop, s (whole GOPs). */
  loopSec?: number;
  /** Encoding at start can take a while on a loaded machine. Default 90 s. */
  startTimeoutMs?: number;
}

/**
 * The camera farm (main.ts) as a child process: N live RTSP mounts on 127.0.0.1. It ends with stop(), with
 * this process's exit, and — through its stdin — when this process is killed.
 */
export class CameraFarm {
  private readonly onExit = (): void => void this.child.kill('SIGKILL');
  private constructor(
    private readonly child: ChildProcess,
    private readonly statsWaiters: Array<(s: FarmStats) => void>,
    readonly port: number,
    readonly mounts: number,
    /** The READY line's description of the stream. */
    readonly description: string,
  ) {
    process.once('exit', this.onExit);
  }

  static async start(o: CameraFarmOptions): Promise<CameraFarm> {
    const flag = (name: string, v: number | string | undefined): string[] => (v === undefined ? [] : [`--${name}`, String(v)]);
    const args = ['--import', 'tsx', MAIN, ...flag('mounts', o.mounts), ...flag('source', o.source), ...flag('width', o.width), ...flag('height', o.height), ...flag('fps', o.fps), ...flag('gop', o.gop), ...flag('loop-sec', o.loopSec)];
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const timeoutMs = o.startTimeoutMs ?? 90_000;
    const waiters: Array<(s: FarmStats) => void> = [];
    try {
      const ready = await new Promise<string>((resolve, reject) => {
        const fail = (why: string): void => {
          clearTimeout(timer);
          reject(new Error(`camera farm (RTSP server, ${o.mounts} mounts) did not start: ${why}${stderr.trim() ? ` — ${stderr.trim()}` : ''}`));
        };
        const timer = setTimeout(() => fail(`no READY within ${timeoutMs / 1000} s (encoding the stream with ffmpeg at start)`), timeoutMs);
        child.once('error', (e) => fail(e.message));
        // 'close', not 'exit': its stderr is read to the end by then, so the reason is in the message.
        child.once('close', (code, signal) => fail(`exited with ${code ?? signal}`));
        createInterface({ input: child.stdout! }).on('line', (l) => {
          if (l.startsWith('STATS ')) {
            const s = JSON.parse(l.slice(6)) as FarmStats;
            for (const w of waiters.splice(0)) w(s);
          }
          if (!l.startsWith('READY ')) return;
          clearTimeout(timer);
          child.removeAllListeners('close');
          resolve(l.slice(6));
        });
      });
      const [port = '', ...rest] = ready.split(' ');
      return new CameraFarm(child, waiters, Number(port), o.mounts, rest.join(' '));
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  /** Mount k (1-based). */
  url(mount: number): string {
    return `rtsp://127.0.0.1:${this.port}/cam${mount}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The server's own counters (connections, plays, TEARDOWNs, 404s). */
  stats(timeoutMs = 5000): Promise<FarmStats> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('camera farm: no stats answer')), timeoutMs);
      this.statsWaiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.child.stdin!.write('stats\n');
    });
  }

  async stop(): Promise<void> {
    process.off('exit', this.onExit);
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  }
}
