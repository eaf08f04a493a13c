import type { Frame } from '../contracts/frame.js';
import type { SourceStatus } from '../contracts/camera-status.js';
import type { Log } from '../log/log.js';
import { FrameQueue } from './frame-queue.js';
import type { FrameListener, StatusListener } from './source.js';

/**
 * Who listens to one camera source: frame and status listeners and the `frames()` iterators. Shared by the
 * ffmpeg and the native source so both hand frames out the same way. A live source never waits for a slow
 * consumer; a file read as fast as possible counts the deliveries still in flight, and the source pauses its
 * input while `blocked`.
 */
export class SourceSubscribers {
  private readonly frameListeners = new Set<FrameListener>();
  private readonly statusListeners = new Set<StatusListener>();
  private readonly queues = new Set<FrameQueue>();
  private pending = 0;
  private ended = false;

  constructor(
    private readonly cameraId: string,
    private readonly log: Log,
    private readonly realtime: boolean,
    private readonly maxBuffered: number,
    /** Called whenever `blocked` may have changed (a delivery settled, a full queue drained). */
    private readonly onFlow: () => void = () => undefined,
  ) {}

  onFrame(listener: FrameListener): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  onStatus(listener: StatusListener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  frames(): AsyncIterableIterator<Frame> {
    const q = new FrameQueue(Math.max(1, this.maxBuffered), this.realtime, this.onFlow, (done) => this.queues.delete(done));
    if (this.ended) q.end();
    else this.queues.add(q);
    return q;
  }

  /** True while a consumer of a non-realtime source is busy or full. */
  get blocked(): boolean {
    return this.pending > 0 || [...this.queues].some((q) => q.full);
  }

  deliver(frame: Frame): void {
    for (const listener of this.frameListeners) {
      let result: unknown;
      try {
        result = listener(frame);
      } catch (err) {
        this.log.error({ cameraId: this.cameraId, err }, 'frame listener threw');
        continue;
      }
      if (!(result instanceof Promise)) continue;
      if (this.realtime) {
        result.catch((err: unknown) => this.log.error({ cameraId: this.cameraId, err }, 'frame listener failed'));
        continue;
      }
      this.pending++;
      result
        .catch((err: unknown) => this.log.error({ cameraId: this.cameraId, err }, 'frame listener failed'))
        .finally(() => {
          this.pending--;
          this.onFlow();
        });
    }
    for (const q of this.queues) q.push(frame);
  }

  status(status: SourceStatus): void {
    for (const listener of this.statusListeners) {
      try {
        listener(status);
      } catch (err) {
        this.log.error({ cameraId: this.cameraId, err }, 'status listener threw');
      }
    }
  }

  /** Ends every iterator; later `frames()` calls get an ended one. */
  end(): void {
    this.ended = true;
    for (const q of this.queues) q.end();
    this.queues.clear();
  }
}
