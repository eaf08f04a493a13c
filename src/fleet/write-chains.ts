/**
 * Writes to Redis per camera, in order: each camera's writes form one chain (a later save never lands
 * before an earlier one), and `flush` waits for them — before a lease is released, the camera's last state
 * must be in Redis for the next owner.
 */
export class WriteChains {
  private readonly chains = new Map<string, Promise<void>>();

  /** `write` must not reject: it records its own failure. */
  add(cameraId: string, write: () => Promise<void>): void {
    const next = (this.chains.get(cameraId) ?? Promise.resolve()).then(write);
    this.chains.set(cameraId, next);
    void next.finally(() => {
      if (this.chains.get(cameraId) === next) this.chains.delete(cameraId);
    });
  }

  /** Waits until every write already added for this camera (or all cameras) reached Redis or failed. */
  async flush(cameraId?: string): Promise<void> {
    if (cameraId !== undefined) await this.chains.get(cameraId);
    else await Promise.all(this.chains.values());
  }
}
