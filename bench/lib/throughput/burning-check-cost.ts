/**
 * CPU cost of the burning check on frames without a fire or smoke candidate (nearly every frame of every camera):
 * BurningCheck.verify over typical street detections. Used by bench:throughput and runnable alone:
 * `npx tsx bench/lib/throughput/burning-check-cost.ts`. The burst decode itself runs only when a candidate
 * appears, at most once per camera per `everySec`.
 */
import { fileURLToPath } from 'node:url';
import type { Detections } from '../../../src/contracts/detections.js';
import type { Frame } from '../../../src/contracts/frame.js';
import { BurningCheck } from '../../../src/detect/burning-check.js';

export interface BurningCheckCost {
  frames: number;
  cpuMsPerFrame: number;
}

export async function measureBurningCheckCost(count = 20_000): Promise<BurningCheckCost> {
  let bursts = 0;
  const check = new BurningCheck({ candidateRatio: 0.5, everySec: 10, holdSec: 30 }, new Map([['fire', 0.56], ['smoke', 0.48]]), async () => {
    bursts++;
    return undefined;
  });
  const frame = (t: number): Frame => ({ cameraId: 'c', timestamp: t, ptsMs: t, data: Buffer.alloc(0), pixelFormat: 'bgr24', width: 416, height: 416, contentWidth: 416, contentHeight: 340, sourceWidth: 704, sourceHeight: 576 });
  const labels = ['person', 'car', 'person', 'bicycle', 'garbage_bin', 'umbrella'];
  const dets: Detections[] = Array.from({ length: 16 }, (_, i) => ({
    cameraId: 'c',
    timestamp: 0,
    model: 'patrol-det',
    items: labels.slice(0, 2 + (i % 5)).map((label, k) => ({ classId: k, label, score: 0.5 + k * 0.05, box: [0.1 * k, 0.2, 0.1 * k + 0.08, 0.5] as [number, number, number, number] })),
  }));
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) await check.verify(frame(i * 2000), dets[i % dets.length]!);
  };
  await run(500);
  const cpu0 = process.cpuUsage();
  await run(count);
  const cpu = process.cpuUsage(cpu0);
  if (bursts > 0) throw new Error('a frame without candidates asked for a burst');
  return { frames: count, cpuMsPerFrame: (cpu.user + cpu.system) / 1000 / count };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const c = await measureBurningCheckCost();
  console.log(`burning check without candidates: ${(c.cpuMsPerFrame * 1000).toFixed(2)} CPU-µs per analyzed frame over ${c.frames} frames`);
}
