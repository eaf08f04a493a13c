/**
 * Where a camera's depacketizer puts its finished access units: consecutive units share chunks of their
 * own. A Buffer per unit costs an allocation each (≈ 0.3 CPU-ms per camera-second at 25 fps, and the
 * garbage collector's full passes, which external memory churn triggers); small units as slices of Node's
 * shared 8 KiB pool would pin those slabs, shared with anything, for the packet ring's 20 s (measured:
 * 3.3 MB of array buffers for 1.4 MB of units per camera at 512 kbit/s). The ring keeps and evicts in
 * arrival order, so a chunk is freed once its last unit is evicted: at most about two chunks are wasted per
 * camera. Large units (keyframes) get a buffer of their own.
 */

export const DEFAULT_SLAB_CHUNK_BYTES = 64 * 1024;

export class UnitSlab {
  private chunk: Buffer | undefined;
  private used = 0;

  constructor(private readonly chunkBytes = DEFAULT_SLAB_CHUNK_BYTES) {}

  /** A copy of `data`, in memory that only this slab's units share. */
  copy(data: Buffer): Buffer {
    const n = data.byteLength;
    if (n > this.chunkBytes / 4) {
      const own = Buffer.allocUnsafeSlow(n);
      data.copy(own);
      return own;
    }
    if (!this.chunk || this.used + n > this.chunk.length) {
      this.chunk = Buffer.allocUnsafeSlow(this.chunkBytes);
      this.used = 0;
    }
    const out = this.chunk.subarray(this.used, this.used + n);
    data.copy(out);
    this.used += n;
    return out;
  }
}
