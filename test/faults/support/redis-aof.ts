import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../support/redis.js';
import { DIE_WITH_PARENT, PYTHON } from './fault-rtsp.js';

/**
 * redis-server as production runs it (docs/DISPATCH: AOF on, fsync on every write), on its own port and data
 * dir: SIGKILLed for an outage and restarted on the same port and files, it comes back with every job it had
 * acknowledged. (support/redis.ts runs without persistence, where a restart empties Redis.)
 */
export class AofRedis {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'patrol-redis-aof-'));
  private constructor(readonly port: number) {}

  static async start(): Promise<AofRedis> {
    const r = new AofRedis(await freePort());
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  async up(): Promise<void> {
    if (this.proc) throw new Error('redis-server is already running');
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
    // Through the die-with-parent wrapper: a test worker that is killed leaves no redis-server behind.
    const proc = spawn(PYTHON, ['-c', DIE_WITH_PARENT, 'redis-server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start in 20 s: ${out.slice(-2000)}`)), 20_000);
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot start redis-server (${err.message}); install it: apt-get install -y redis-server`));
      });
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    this.proc = proc;
  }

  /** The outage: SIGKILL, like a crashed or OOM-killed Redis. */
  async down(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
