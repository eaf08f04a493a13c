import type { DispatchHandler, DispatchQueue } from '../dispatch/queue.js';
import type { DispatchMessage } from '../contracts/dispatch-message.js';

export class LeaseLostError extends Error {
  constructor(readonly cameraId: string) {
    super(`not publishing for camera ${cameraId}: this worker's lease on it has lapsed or moved (fenced)`);
    this.name = 'LeaseLostError';
  }
}

/**
 * The worker's dispatch queue: it publishes a camera's events only while the camera's lease is certainly
 * still this worker's (`mayPublish`). A refused publish rejects, so the analyzer does not save the open
 * events that went with it either: the next owner starts from the last saved state and re-publishes under
 * the same job ids, which the queue dedupes.
 */
export class FencedQueue implements DispatchQueue {
  refused = 0;

  constructor(
    private readonly inner: DispatchQueue,
    private readonly mayPublish: (cameraId: string) => boolean,
  ) {}

  get kind(): DispatchQueue['kind'] {
    return this.inner.kind;
  }

  async publish(msg: DispatchMessage): Promise<void> {
    if (!this.mayPublish(msg.event.cameraId)) {
      this.refused++;
      throw new LeaseLostError(msg.event.cameraId);
    }
    await this.inner.publish(msg);
  }

  consume(handler: DispatchHandler): Promise<void> {
    return this.inner.consume(handler);
  }

  depth(): Promise<number> {
    return this.inner.depth();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
