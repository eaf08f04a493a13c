/** Inference cost: the detector over fixture frames, for each threads × batch pair of the plan, in this process. */
import type { Frame } from '../../../src/contracts/frame.js';
import { Detector } from '../../../src/detect/detector.js';
import { cpuUsageMs } from './cpu.js';
import { INTERVAL_SEC, type Plan } from './plan.js';
import type { InferenceRow } from './result.js';
import type { StageProgress } from './stage-progress.js';

export async function measureInference(
  plan: Plan,
  manifest: string,
  batchManifest: { manifest: string; dynamic: boolean },
  frames: Frame[],
  progress: StageProgress,
): Promise<InferenceRow[]> {
  const rows: InferenceRow[] = [];
  const configs = plan.inference.threads.flatMap((threads) => plan.inference.batches.map((batch) => ({ threads, batch })));
  let k = 0;
  for (const { threads, batch } of configs) {
    progress.update(k / configs.length, `${threads} thread${threads > 1 ? 's' : ''}, batch ${batch}`);
    const file = batch > 1 && batchManifest.dynamic ? batchManifest.manifest : manifest;
    const d = await Detector.load(file, { threads, maxBatch: batch, verifySha256: false });
    try {
      let next = 0;
      const take = () => Array.from({ length: batch }, () => frames[next++ % frames.length]!);
      await d.detect(take()); // warm-up: session first run, buffers
      const calls = Math.max(2, Math.ceil(plan.inference.frames / batch));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) await d.detect(take());
      const wall = performance.now() - t0;
      const cpu = cpuUsageMs(cpu0);
      const n = calls * batch;
      rows.push({ threads, batch, frames: n, cpuMsPerFrame: cpu / n, wallMsPerFrame: wall / n, cpuMsPerCameraSecond: cpu / n / INTERVAL_SEC });
    } finally {
      await d.release();
    }
    k++;
  }
  progress.update(1);
  return rows;
}
