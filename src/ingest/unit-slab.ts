/**
 * Copies a camera's access units, as the packet ring keeps them, into chunks of its own. Kept as they come,
 * small units are slices of Node's shared 8 KiB buffer pool and each pins its whole slab for the ring's 20 s
 * (measured: 3.3 MB of array buffers for 1.4 MB of units per camera at 512 kbit/s); a buffer of its own per
 * unit costs an allocation each (≈ 0.3 CPU-ms per camera-second at 25 fps). The ring keeps and evicts in
 * arrival order, so consecutive units share a chunk and a chunk is freed once its last unit is evicted: at
 * most about two chunks are wasted per camera. Large units get a buffer of their own.
 */

export const DEFAULT_SLAB_CHUNK_BYTES = 64 * 1024;

export class UnitSlab {
  private chunk: Buffer | undefined;
  private used = 0;

  constructor(private readonly chunkBytes = DEFAULT_SLAB_CHUNK_BYTES) {}

  /** The bytes of `data`, in memory that no other buffer shares. */
  copy(data: Buffer): Buffer {
    const n = data.byteLength;
    if (n > this.chunkBytes / 4) {
      if (data.byteOffset === 0 && n === data.buffer.byteLength) return data;
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
