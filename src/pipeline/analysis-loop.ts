import type { Frame } from '../contracts/frame.js';
import type { Detections } from '../contracts/detections.js';
import type { FrameMailbox } from './frame-mailbox.js';

/** What the loop needs from a detector: one batched call, one in flight. */
export interface FrameDetector {
  readonly name: string;
  readonly maxBatch: number;
  detect(frames: Frame[]): Promise<Detections[]>;
}

export interface LoopStats {
  batches: number;
  framesAnalyzed: number;
  inferenceMs: number;
  /** Time frames spent waiting for the detector, summed; high means the worker is over capacity. */
  waitMs: number;
  errors: number;
}

export interface LoopOptions {
  onResult: (frame: Frame, detections: Detections) => Promise<void>;
  onError: (err: unknown, frames: Frame[]) => void;
  stats?: LoopStats;
}

export function newLoopStats(): LoopStats {
  return { batches: 0, framesAnalyzed: 0, inferenceMs: 0, waitMs: 0, errors: 0 };
}

/**
 * Pulls frames from every camera's mailbox slot in batches and runs the detector on them. Results are
 * handed on in per-camera order (one promise chain per camera), so scoring and evidence for one camera
 * never run concurrently while inference continues for the others.
 */
export interface AnalysisLoop {
  /** Resolves when the mailbox is closed and every result has been handled. */
  done: Promise<void>;
  /** Resolves when everything already handed on for this camera has been handled. */
  settled(cameraId: string): Promise<void>;
}

export function runAnalysisLoop(mailbox: FrameMailbox, detector: FrameDetector, opts: LoopOptions): AnalysisLoop {
  const chains = new Map<string, Promise<void>>();
  const inference: { current?: Promise<unknown> } = {};
  const done = loop(mailbox, detector, opts, chains, inference);
  return {
    done,
    settled: async (cameraId) => {
      // A frame of this camera may be in the batch being inferred: its results are handed on right after.
      await inference.current?.catch(() => undefined);
      while (true) {
        const chain = chains.get(cameraId);
        await chain;
        if (chains.get(cameraId) === chain) return;
      }
    },
  };
}

async function loop(
  mailbox: FrameMailbox,
  detector: FrameDetector,
  opts: LoopOptions,
  chains: Map<string, Promise<void>>,
  inference: { current?: Promise<unknown> },
): Promise<void> {
  const stats = opts.stats ?? newLoopStats();
  while (true) {
    await mailbox.ready();
    if (mailbox.isClosed) break;
    const batch = mailbox.take(detector.maxBatch);
    if (batch.length === 0) continue;
    const frames = batch.map((b) => b.frame);
    const started = performance.now();
    let results: Detections[];
    try {
      const running = detector.detect(frames);
      inference.current = running;
      results = await running;
    } catch (err) {
      stats.errors++;
      opts.onError(err, frames);
      for (const b of batch) b.done();
      continue;
    }
    stats.batches++;
    stats.framesAnalyzed += frames.length;
    stats.inferenceMs += performance.now() - started;
    batch.forEach((b, i) => {
      stats.waitMs += b.waitedMs;
      const detections = results[i]!;
      const previous = chains.get(b.frame.cameraId) ?? Promise.resolve();
      const next = previous
        .then(() => opts.onResult(b.frame, detections))
        .catch((err: unknown) => {
          stats.errors++;
          opts.onError(err, [b.frame]);
        })
        .finally(() => b.done());
      chains.set(b.frame.cameraId, next);
    });
  }
  await Promise.all(chains.values());
}
