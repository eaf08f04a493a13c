/**
 * CPU cost of the scene model per analyzed frame at the detector's 416² input: sceneStep on a textured
 * street-like picture with an object appearing, a person box walking and light drifting, so every branch
 * (masks, learning, regions, tracking, the reference picture) runs. Used by bench:throughput and runnable
 * alone: `npx tsx bench/lib/throughput/scene-cost.ts [--frames N]`.
 */
import { fileURLToPath } from 'node:url';
import { sceneStep, type SceneState } from '../../../src/scene/model.js';
import type { ScenePixels } from '../../../src/scene/features.js';

const SIZE = 416;
const CONTENT_H = 340;

function frames(count: number): ScenePixels[] {
  let s = 12345;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
  const base = new Uint8Array(SIZE * CONTENT_H * 3);
  for (let i = 0; i < base.length; i++) base[i] = 90 + Math.floor(rnd() * 60);
  // A handful of distinct pictures, reused: the cost does not depend on which.
  return Array.from({ length: Math.min(count, 8) }, (_, f) => {
    const data = Buffer.alloc(SIZE * SIZE * 3, 114);
    const gain = 1 - 0.02 * f;
    for (let i = 0; i < base.length; i++) data[i] = Math.min(255, Math.round(base[i]! * gain + (rnd() - 0.5) * 8));
    if (f >= 3) for (let y = 230; y < 280; y++) for (let x = 150; x < 220; x++) data.fill(60, (y * SIZE + x) * 3, (y * SIZE + x) * 3 + 3);
    return { data, width: SIZE, height: SIZE, contentWidth: SIZE, contentHeight: CONTENT_H, pixelFormat: 'bgr24' as const };
  });
}

export interface SceneCost {
  frames: number;
  /** CPU milliseconds (user + system) per analyzed frame. */
  cpuMsPerFrame: number;
  wallMsPerFrame: number;
}

export function measureSceneCost(count = 400): SceneCost {
  const pics = frames(count);
  let state: SceneState | null = null;
  const run = (n: number, t0: number) => {
    for (let i = 0; i < n; i++) {
      const t = t0 + i * 2000;
      const px = Math.floor((i * 9) % 300);
      const res = sceneStep(state, { pixels: pics[i % pics.length]!, t, boxes: [{ label: 'person', score: 0.8, box: [px / SIZE, 0.3, (px + 30) / SIZE, 0.7] }] });
      state = res.state;
    }
  };
  run(30, 0); // warm-up (JIT)
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  run(count, 1_000_000);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - w0;
  return { frames: count, cpuMsPerFrame: (cpu.user + cpu.system) / 1000 / count, wallMsPerFrame: wall / count };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--frames');
  const n = i > 0 ? Number(process.argv[i + 1]) : 400;
  const r = measureSceneCost(n);
  process.stdout.write(`scene model: ${r.cpuMsPerFrame.toFixed(3)} CPU-ms per analyzed frame at 416² (${r.wallMsPerFrame.toFixed(3)} wall-ms, ${r.frames} frames; target ≤ 1)\n`);
}
