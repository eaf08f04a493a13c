import type { InferenceSession } from 'onnxruntime-node';

/**
 * How every Patrol model runs in ONNX Runtime: CPU, one graph at a time (parallel inter-op only adds threads
 * competing for 2 cores), and idle threads that sleep unless `spin` (spinning steals the ffmpeg decoders' CPU).
 */
export function sessionOptions(threads: number, spin = false): InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: spin ? '1' : '0' } } },
  };
}
